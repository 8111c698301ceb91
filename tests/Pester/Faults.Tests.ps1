#Requires -Version 7.2
# Bulk work against a failing service (the server's fault flags): nothing lost, nothing done twice.
# Server state is read through a second, fault-free server on the same database, never through the faulty one.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules

    function Start-FaultyServer {
        param([hashtable]$Faults, [int]$Tokens, [string]$AccountId)
        $faulty = Start-TokenServer @Faults
        $admin = New-TestUser -Server $faulty -AccountId $AccountId -UserId 'admin@acme.example' -Admin
        if ($Tokens) { Add-TokenServerSeed -Server $faulty -AccountId $AccountId -Users ($Tokens / 5) -TokensPerUser 5 }
        $clean = Start-TokenServer -Database $faulty.Database
        $reader = [pscustomobject]@{ Server = $clean; Uri = $clean.Uri; AccountId = $AccountId; UserId = $admin.UserId; Token = $admin.Token }
        [pscustomobject]@{ Faulty = $faulty; Clean = $clean; Admin = $admin; Reader = $reader }
    }

    function Stop-FaultyServer($s) {
        if ($s) {
            $s.Clean | Stop-TokenServer
            $s.Faulty | Stop-TokenServer
        }
    }

    function Get-SeedToken($s) { @(Get-ServerToken -User $s.Reader | Where-Object name -Like 'seed-*') }

    # Committed revocations per token id, from the faulty server's log: answered 204 (whether or not the client saw it).
    function Get-CommittedRevocation($s) {
        Sync-TokenServerLog $s.Faulty | ForEach-Object { if ($_ -match 'DELETE /api/rest/v1/[^/]+/ApiToken/(\S+) 204 ') { $Matches[1] } } |
            Group-Object -NoElement
    }

    # Nothing lost, nothing doubled: no error, no seed token left, and exactly one committed revocation per token.
    function Assert-EachRevokedOnce($s, $Failures, [int]$Expected) {
        $Failures | Should -BeNullOrEmpty
        Get-SeedToken $s | Should -HaveCount 0
        $revocations = @(Get-CommittedRevocation $s)
        $revocations | Should -HaveCount $Expected
        @($revocations | Where-Object Count -NE 1) | Should -HaveCount 0
    }
}

AfterAll {
    Disconnect-AllTestConnections
}

Describe 'Bulk revoke while the service answers 30% of requests 503 Unavailable' {
    BeforeAll {
        $s = Start-FaultyServer -Faults @{ FaultRate = 0.3 } -Tokens 500 -AccountId 'acme-flaky'
        $connection = Connect-AtomSphere -AccountId 'acme-flaky' -Credential $s.Admin.Credential -Uri $s.Faulty.Uri -RequestsPerSecond 0 -PassThru
    }
    AfterAll { Stop-FaultyServer $s }

    It 'revokes all 500 tokens, reports none failed, and revokes none twice' {
        Get-SeedToken $s | Should -HaveCount 500

        Write-Host '    Revoking 500 tokens through a service that answers 30% of requests 503, each retried...'
        Get-ApiToken -AllUsers -Name 'seed-*' -Connection $connection |
            Remove-ApiToken -Connection $connection -Confirm:$false -ThrottleLimit 16 -ErrorVariable failures -ErrorAction SilentlyContinue

        Assert-EachRevokedOnce $s $failures -Expected 500
        @(Select-String -Path $s.Faulty.LogPath -Pattern ' 503 ').Count | Should -BeGreaterThan 0 -Because 'the service did fail (otherwise this test proves nothing)'
    }
}

Describe 'Bulk revoke while 20% of connections are aborted after the change is committed' {
    BeforeAll {
        $s = Start-FaultyServer -Faults @{ FaultAbortRate = 0.2 } -Tokens 500 -AccountId 'acme-aborts'
        $connection = Connect-AtomSphere -AccountId 'acme-aborts' -Credential $s.Admin.Credential -Uri $s.Faulty.Uri -RequestsPerSecond 0 -PassThru
    }
    AfterAll { Stop-FaultyServer $s }

    It 'revokes all 500 tokens, counting an unseen success as revoked, and revokes none twice' {
        $records = @(Get-ApiToken -AllUsers -Name 'seed-*' -Connection $connection |
                Remove-ApiToken -Connection $connection -Confirm:$false -ThrottleLimit 16 -Verbose -ErrorVariable failures -ErrorAction SilentlyContinue 4>&1)

        Assert-EachRevokedOnce $s $failures -Expected 500
        @(Select-String -Path $s.Faulty.LogPath -Pattern 'DELETE \S+ 204 .*connection=aborted').Count | Should -BeGreaterThan 0 -Because 'some revocations were aborted after their commit'
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match '404' -Because 'a retried revocation whose first answer was lost answers 404, and -Verbose says it counts as revoked'
    }
}

Describe 'Bulk revoke against the service rate limit' {
    BeforeAll {
        $s = Start-FaultyServer -Faults @{ RateLimit = 10 } -Tokens 100 -AccountId 'acme-limited'
        $connection = Connect-AtomSphere -AccountId 'acme-limited' -Credential $s.Admin.Credential -Uri $s.Faulty.Uri -PassThru
    }
    AfterAll { Stop-FaultyServer $s }

    It 'completes with zero errors at the default request rate' {
        Write-Host '    Revoking 100 tokens at the service''s limit of 10 requests per second (about 10 s)...'
        Get-ApiToken -AllUsers -Name 'seed-*' -Connection $connection |
            Remove-ApiToken -Connection $connection -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue

        $failures | Should -BeNullOrEmpty
        Get-SeedToken $s | Should -HaveCount 0
    }
}

Describe 'A service slower than the client timeout' {
    BeforeAll {
        $s = Start-FaultyServer -Faults @{ LatencyMs = 2000 } -AccountId 'acme-slow'
    }
    AfterAll { Stop-FaultyServer $s }

    It 'ends in a clear ServiceUnavailable' {
        $err = { Connect-AtomSphere -AccountId 'acme-slow' -Credential $s.Admin.Credential -Uri $s.Faulty.Uri -TimeoutSec 1 -MaxRetries 1 } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ServiceUnavailable,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -Not -Match ([regex]::Escape($s.Admin.Token))
    }
}

Describe 'Stopping a bulk revoke (Ctrl+C)' {
    BeforeAll {
        $s = Start-FaultyServer -Faults @{ LatencyMs = 200 } -Tokens 60 -AccountId 'acme-stop'
        $connection = Connect-AtomSphere -AccountId 'acme-stop' -Credential $s.Admin.Credential -Uri $s.Faulty.Uri -RequestsPerSecond 0 -PassThru
        $before = Get-SeedToken $s
    }
    AfterAll { Stop-FaultyServer $s }

    It 'stops the pipeline, cancels what is in flight, and leaves the tokens not reached untouched' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($ModulePath, $Connection)
                    Import-Module $ModulePath
                    Get-ApiToken -AllUsers -Name 'seed-*' -Connection $Connection |
                        Remove-ApiToken -Connection $Connection -Confirm:$false -ThrottleLimit 2
                }).AddArgument((Get-TestModulePath)).AddArgument($connection)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ((Get-SeedToken $s).Count -gt 50 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $async.IsCompleted | Should -BeTrue
        }
        finally { $ps.Dispose() }

        $left = Get-SeedToken $s
        Start-Sleep -Milliseconds 1500
        $later = Get-SeedToken $s
        $later.Count | Should -Be $left.Count -Because 'nothing is revoked after the pipeline has stopped'
        $left.Count | Should -BeLessOrEqual 50
        $left.Count | Should -BeGreaterThan 0 -Because 'the run was stopped long before its end'
        foreach ($token in $left) {
            $original = $before | Where-Object id -EQ $token.id
            $token.status | Should -Be $original.status
            $token.name | Should -Be $original.name
        }
    }
}
