#Requires -Version 7.2
# A throttling or unavailable service (contract: 503 RateLimited / Unavailable with Retry-After; spec: ServiceUnavailable).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
}

AfterAll {
    Disconnect-AllTestConnections
}

Describe 'A service that throttles (503 RateLimited)' {
    BeforeAll {
        $server = Start-TokenServer -RateLimit 4 -MaxTokensPerUser 10
        $account = 'acme-throttle'
        $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
        Add-TokenServerSeed -Server $server -AccountId $account -Users 3 -TokensPerUser 4
        # No client-side ceiling: the service's 503s decide the pace.
        $connection = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -RequestsPerSecond 0 -PassThru
    }

    AfterAll {
        if ($server) { $server | Stop-TokenServer }
    }

    It 'bulk-revokes through the pipeline without errors, retrying the throttled requests' {
        Get-ServerQueryCount -User $admin | Should -Be 13

        $records = @(Get-ApiToken -AllUsers -Connection $connection | Where-Object UserId -NE $admin.UserId |
                Remove-ApiToken -Connection $connection -Confirm:$false -Verbose -ErrorVariable errs 4>&1)

        $errs | Should -BeNullOrEmpty
        Get-ServerQueryCount -User $admin | Should -Be 1
        @(Get-ServerToken -User $admin).userId | Should -Be @($admin.UserId)
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match '\b503\b' -Because 'the service throttled some of the requests (otherwise this test proves nothing)'
    }
}

Describe 'A service that is unavailable (503 Unavailable)' {
    BeforeAll {
        $server = Start-TokenServer -FaultRate 1
        $account = 'acme-down'
        $user = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    }

    AfterAll {
        if ($server) { $server | Stop-TokenServer }
    }

    It 'fails Connect-AtomSphere with ServiceUnavailable after retrying, without the token' {
        $err = { Connect-AtomSphere -AccountId $account -Credential $user.Credential -Uri $server.Uri } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ServiceUnavailable,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        Get-StreamText $err | Should -Not -Match ([regex]::Escape($user.Token))
    }
}
