#Requires -Version 7.2
# Faults chosen per request (the server's fault plan, --fault-admin), so that each sequence happens exactly:
# retries, lost answers after a commit, and creates/updates that must be reconciled, not resent blindly.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -FaultAdmin
    $account = 'acme-plan'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $connection = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -RequestsPerSecond 0 -PassThru

    function Set-FaultPlan([object[]]$Rules) {
        $body = @{ faults = @($Rules) } | ConvertTo-Json -Depth 5
        Invoke-RestMethod -Method Put -Uri "$($server.Uri)/_faults" -ContentType 'application/json' -Body $body | Out-Null
    }
    function Get-LogLines([string]$Pattern) {
        @(Sync-TokenServerLog $server | Where-Object { $_ -match $Pattern })
    }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Faults chosen per request' {
    AfterEach { Invoke-RestMethod -Method Delete -Uri "$($server.Uri)/_faults" | Out-Null }

    It 'a DELETE answered 503 Unavailable twice is retried and revokes the token once' {
        $made = New-ServerToken -User $admin -Name "plan-$([Guid]::NewGuid().ToString('n').Substring(0, 6))"
        Set-FaultPlan @{ method = 'DELETE'; path = "*/ApiToken/$($made.id)"; times = 2; fault = 'unavailable' }

        Remove-ApiToken -Id $made.id -Confirm:$false -ErrorAction Stop

        Get-ServerToken -User $admin -Id $made.id | Should -BeNullOrEmpty
        (Get-LogLines "DELETE /api/rest/v1/$account/ApiToken/$($made.id) 503 ").Count | Should -Be 2
        (Get-LogLines "DELETE /api/rest/v1/$account/ApiToken/$($made.id) 204 ").Count | Should -Be 1
    }

    It 'a DELETE whose answer is lost after the commit counts as revoked, not failed' {
        $made = New-ServerToken -User $admin -Name "plan-$([Guid]::NewGuid().ToString('n').Substring(0, 6))"
        Set-FaultPlan @{ method = 'DELETE'; path = "*/ApiToken/$($made.id)"; fault = 'abort-after-commit' }

        $output = Remove-ApiToken -Id $made.id -Confirm:$false -PassThru -ErrorAction Stop

        $output.Id | Should -Be $made.id
        Get-ServerToken -User $admin -Id $made.id | Should -BeNullOrEmpty
        (Get-LogLines "DELETE /api/rest/v1/$account/ApiToken/$($made.id) 404 ").Count | Should -Be 1 -Because 'the repeat found it gone'
    }

    It 'an update answered 503 Unavailable is read back before it is sent again' {
        $made = New-ServerToken -User $admin -Name "plan-$([Guid]::NewGuid().ToString('n').Substring(0, 6))"
        Set-FaultPlan @{ method = 'POST'; path = "*/ApiToken/$($made.id)"; fault = 'unavailable' }

        Disable-ApiToken -Id $made.id -Confirm:$false -ErrorAction Stop

        $lines = Get-LogLines "/api/rest/v1/$account/ApiToken/$($made.id) " | ForEach-Object { ($_ -split ' ')[1] + ' ' + ($_ -split ' ')[3] }
        # The lookup, the update that met the fault, the read-back that found it not applied, the update once more.
        $lines | Select-Object -Last 4 | Should -Be @('GET 200', 'POST 503', 'GET 200', 'POST 200')
        (Get-ServerToken -User $admin -Id $made.id).status | Should -Be 'DISABLED'
    }

    It 'a create whose answer is lost after the commit says the token was probably created' {
        $name = "plan-$([Guid]::NewGuid().ToString('n').Substring(0, 6))"
        Set-FaultPlan @{ method = 'POST'; path = "*/$account/ApiToken"; fault = 'abort-after-commit' }

        { New-ApiToken -Name $name -ErrorAction Stop -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'ServiceUnavailable,*' -ExpectedMessage '*probably created*'

        @(Get-ServerToken -User $admin | Where-Object name -EQ $name) | Should -HaveCount 1 -Because 'it was created once, not twice'
    }
}
