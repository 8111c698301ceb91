#Requires -Version 7.2
# Bulk work at the rate ceiling for every input form (issue 10): lookups batched (request counts read from the
# server's log), the first item not held back, progress with its total, and one summary at the end.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 1000
    $account = 'acme-bulk'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $connection = Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -RequestsPerSecond 0 -PassThru

    function New-Name([string]$Prefix = 'bulk') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function New-Tokens([int]$Count, [string]$Prefix = 'bulk') { 1..$Count | ForEach-Object { New-ServerToken -User $admin -Name (New-Name $Prefix) } }

    # Requests of each kind the server logged while the script block ran.
    function Measure-Requests([scriptblock]$Action) {
        $before = @(Sync-TokenServerLog $server).Count
        & $Action
        $lines = @(Sync-TokenServerLog $server | Select-Object -Skip $before)
        $base = "/api/rest/v1/$account"
        [pscustomobject]@{
            Delete = @($lines | Where-Object { $_ -match " DELETE $base/ApiToken/\S+ 204 " }).Count
            Update = @($lines | Where-Object { $_ -match " POST $base/ApiToken/(?!query|queryMore|bulk)\S+ 200 " }).Count
            GetOne = @($lines | Where-Object { $_ -match " GET $base/ApiToken/\S+ " }).Count
            Bulk   = @($lines | Where-Object { $_ -match " POST $base/ApiToken/bulk " }).Count
            Query  = @($lines | Where-Object { $_ -match " POST $base/ApiToken/query(More)? " }).Count
        }
    }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Lookups are batched' {
    # Batches close when full or at the end, not when the machine is slow to deliver the next record.
    BeforeAll { Set-ModuleTimeSetting LookupFlushDelay ([TimeSpan]::FromHours(1)) }
    AfterAll { Set-ModuleTimeSetting LookupFlushDelay -Default }

    It 'Import-Csv ids | Remove-ApiToken reads the ids through the bulk read, 100 a request' {
        $made = New-Tokens 250
        $csv = Join-Path $TestDrive 'ids.csv'
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id } } | Export-Csv -Path $csv

        $counts = Measure-Requests { Import-Csv -Path $csv | Remove-ApiToken -Confirm:$false -ErrorAction Stop }

        $counts.Delete | Should -Be 250
        $counts.GetOne | Should -Be 1 -Because 'only the first id is read alone, so that its confirmation comes at once'
        $counts.Bulk | Should -Be 3 -Because 'the other 249 go 100, 100 and 49 a bulk read'
        $counts.Query | Should -Be 0
    }

    It 'Disable-ApiToken -Id with 250 ids makes 3 bulk reads and 250 updates' {
        $made = New-Tokens 250
        $counts = Measure-Requests { Disable-ApiToken -Id $made.id -Confirm:$false -ErrorAction Stop }
        $counts.Update | Should -Be 250
        $counts.Bulk | Should -Be 3
        $counts.GetOne | Should -Be 0
    }

    It 'names piped to Enable-ApiToken are looked up 50 a query' {
        $made = New-Tokens 120
        $made | ForEach-Object { Set-ServerToken -User $admin -Id $_.id -Status DISABLED } | Out-Null

        $counts = Measure-Requests { $made.name | Enable-ApiToken -Confirm:$false -ErrorAction Stop }

        $counts.Update | Should -Be 120
        $counts.Query | Should -Be 4 -Because 'the first name is looked up alone, the other 119 50, 50 and 19 a query'
    }

    It 'leaked values piped to Remove-ApiToken -Token are looked up 50 a query' {
        $made = New-Tokens 45
        $values = $made | ForEach-Object { ConvertTo-TestSecureString $_.token }

        $counts = Measure-Requests { $values | Remove-ApiToken -Confirm:$false -ErrorAction Stop }

        $counts.Delete | Should -Be 45
        $counts.Query | Should -Be 2 -Because 'the first value is looked up alone, the other 44 in one query'
        $made | ForEach-Object { Get-ServerToken -User $admin -Id $_.id | Should -BeNullOrEmpty }
    }

    It 'a batch of values that finds fewer tokens says which value found nothing' {
        $made = New-Tokens 3
        $values = @($made | ForEach-Object { ConvertTo-TestSecureString $_.token }) + @(ConvertTo-TestSecureString ([Guid]::NewGuid().ToString()))

        Remove-ApiToken -Token $values -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        "$($failures[0])" | Should -BeLike '*value 4 of 4*'
        $made | ForEach-Object { Get-ServerToken -User $admin -Id $_.id | Should -BeNullOrEmpty }
    }

    It 'Get-ApiToken -Id with 120 ids finds them all, in queries the service accepts' {
        $made = New-Tokens 120
        $found = @(Get-ApiToken -Id $made.id -ErrorAction Stop)
        @($found.Id | Sort-Object) | Should -Be @($made.id | Sort-Object)
    }
}

Describe 'Streaming' {
    It 'acts on the first id before the input has ended' {
        $made = New-Tokens 3
        $first = $made[0].id
        $log = $server.LogPath
        $input = {
            [pscustomobject]@{ Id = $first }
            # Hold the rest back until the first revocation has reached the server: a cmdlet that waited for the whole
            # input (or a full batch) would never get there.
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not (Select-String -Path $log -Pattern "DELETE /api/rest/v1/$account/ApiToken/$first 204" -Quiet)) {
                if ([DateTime]::UtcNow -gt $deadline) { throw 'the first item was held back' }
                Start-Sleep -Milliseconds 50
            }
            $made[1..2] | ForEach-Object { [pscustomobject]@{ Id = $_.id } }
        }

        & $input | Remove-ApiToken -Confirm:$false -ErrorAction Stop

        $made | ForEach-Object { Get-ServerToken -User $admin -Id $_.id | Should -BeNullOrEmpty }
    }
}

Describe 'Bulk work you can follow' {
    BeforeAll {
        function Invoke-Captured([scriptblock]$Script, [object[]]$Arguments) {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript({ param($m) Import-Module $m }).AddArgument((Get-TestModulePath)).Invoke()
                $ps.Commands.Clear()
                $null = $ps.AddScript($Script)
                foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
                $output = $ps.Invoke()
                [pscustomobject]@{ Output = $output; Progress = @($ps.Streams.Progress); Information = @($ps.Streams.Information); Errors = @($ps.Streams.Error) }
            }
            finally { $ps.Dispose() }
        }
    }

    It 'shows the total, percent and time left for an array bound to -Id' {
        $made = New-Tokens 12
        $r = Invoke-Captured -Script {
            param($Credential, $Uri, $Ids)
            $ProgressPreference = 'Continue'
            Connect-AtomSphere -AccountId 'acme-bulk' -Credential $Credential -Uri $Uri -RequestsPerSecond 0
            Disable-ApiToken -Id $Ids -Confirm:$false
        } -Arguments $admin.Credential, $server.Uri, ([string[]]$made.id)

        $records = @($r.Progress | Where-Object Activity -EQ 'Disabling API tokens' | Where-Object RecordType -EQ 'Processing')
        $records.Count | Should -BeGreaterThan 0
        $records[-1].StatusDescription | Should -Match '^\d+ of 12: '
        $records[-1].PercentComplete | Should -BeGreaterOrEqual 0
    }

    It 'shows the total of a Get-ApiToken listing piped in' {
        $prefix = New-Name 'listed'
        1..12 | ForEach-Object { New-ServerToken -User $admin -Name "$prefix-$_" } | Out-Null
        $r = Invoke-Captured -Script {
            param($Credential, $Uri, $Prefix)
            $ProgressPreference = 'Continue'
            Connect-AtomSphere -AccountId 'acme-bulk' -Credential $Credential -Uri $Uri -RequestsPerSecond 0
            Get-ApiToken -Name "$Prefix-*" | Disable-ApiToken -Confirm:$false
        } -Arguments $admin.Credential, $server.Uri, $prefix

        $records = @($r.Progress | Where-Object Activity -EQ 'Disabling API tokens' | Where-Object RecordType -EQ 'Processing')
        $records[-1].StatusDescription | Should -Match '^\d+ of 12: '
    }

    It 'writes one summary on the information stream' {
        $made = New-Tokens 4
        Remove-ApiToken -Id (@($made.id) + 'no-such-id') -Confirm:$false -InformationVariable info -ErrorAction SilentlyContinue 6>$null
        $info | Should -HaveCount 1
        "$($info[0].MessageData)" | Should -BeLike 'Revoked: 4, failed: 1, skipped: 0*'
    }

    It 'counts declined items as skipped (-WhatIf)' {
        $made = New-Tokens 3
        Remove-ApiToken -Id $made.id -WhatIf -InformationVariable info 6>$null
        "$($info[0].MessageData)" | Should -BeLike 'Revoked: 0, failed: 0, skipped: 3*'
        $made | ForEach-Object { Get-ServerToken -User $admin -Id $_.id | Should -Not -BeNullOrEmpty }
    }

    It 'says which item of how many each confirmation is about' {
        $made = New-Tokens 3
        $verbose = @(Disable-ApiToken -Id $made.id -Confirm:$false -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Performing the operation*' })
        $verbose | Should -HaveCount 3
        $verbose[0].Message | Should -BeLike '*(item 1 of 3)*'
        $verbose[2].Message | Should -BeLike '*(item 3 of 3)*'
    }
}
