#Requires -Version 7.2
# Failing fast and clearly when the service is away, and bad parameter values refused at binding (issue 8).
# The time bounds themselves are measured in the benchmark and the notes, not asserted here: the tests assert what
# a user sees (error ids, messages, the requests the client reports with -Verbose).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer
    $account = 'acme-failfast'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin

    function Get-FreePort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Connect-AtomSphere to a service that is not there' {
    It 'a closed port fails with ServiceUnavailable naming the URI, within the credential check''s budget' {
        $uri = "http://127.0.0.1:$(Get-FreePort)"

        $failure = $null
        $verbose = [System.Collections.Generic.List[object]]::new()
        try { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $uri -Verbose 4>&1 | ForEach-Object { $verbose.Add($_) } }
        catch { $failure = $_ }
        $records = @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'GET /Account/*' })

        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'ServiceUnavailable,*'
        "$failure" | Should -BeLike "*$uri*"
        "$failure" | Should -BeLike "*($($records.Count) attempts)*" -Because 'the message counts the attempts that were made'
        $records[-1].Message | Should -BeLike '*retry budget of 8.0 s*'
    }

    It 'an unknown host fails with ServiceUnavailable naming the URI' {
        { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri 'https://no-such-host.invalid' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ServiceUnavailable,*' -ExpectedMessage '*https://no-such-host.invalid*'
    }

    It 'a 404 is ServiceNotFound, not ApiTokenNotFound, and a base path in -Uri is kept' {
        $uri = "$($server.Uri)/gateway-prefix"

        { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $uri -ErrorAction Stop } |
            Should -Throw -ErrorId 'ServiceNotFound,*' -ExpectedMessage "*No AtomSphere API answered for account $account at $uri*"

        @(Sync-TokenServerLog $server | Where-Object { $_ -match "GET /gateway-prefix/api/rest/v1/$account/Account/$account 404" }) | Should -HaveCount 1
    }

    It 'refuses a -Uri with a user name or password, and does not repeat the password' {
        $uri = $server.Uri -replace '^http://', 'http://someone:s3cret-value@'
        $failure = { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $uri -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidUri,*' -PassThru
        Get-StreamText @($failure) | Should -Not -Match 's3cret-value'
    }
}

Describe 'Bad parameter values are refused at binding' {
    It 'refuses <Case>' -TestCases @(
        @{ Case = 'a blank -AccountId'; Invoke = { Connect-AtomSphere -AccountId '   ' -Credential $admin.Credential -Uri $server.Uri } }
        @{ Case = '-TimeoutSec 5000000'; Invoke = { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -TimeoutSec 5000000 } }
        @{ Case = '-RequestsPerSecond 1e-300'; Invoke = { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -RequestsPerSecond 1e-300 } }
        @{ Case = '-RequestsPerSecond NaN'; Invoke = { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -RequestsPerSecond ([double]::NaN) } }
        @{ Case = '-RequestsPerSecond -1'; Invoke = { Connect-AtomSphere -AccountId $account -Credential $admin.Credential -Uri $server.Uri -RequestsPerSecond -1 } }
    ) {
        $Invoke | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'takes the extreme dates: -<Parameter> [datetime]::<Bound>' -TestCases @(
        @{ Parameter = 'CreatedBefore'; Bound = 'MaxValue' }
        @{ Parameter = 'NotUsedSince'; Bound = 'MaxValue' }
        @{ Parameter = 'CreatedAfter'; Bound = 'MinValue' }
        @{ Parameter = 'CreatedBefore'; Bound = 'MinValue' }
    ) {
        $connection = Connect-TestUser $admin
        try {
            $date = [datetime]::$Bound
            $splat = @{ $Parameter = $date }
            { Get-ApiToken @splat -Connection $connection -ErrorAction Stop } | Should -Not -Throw
        }
        finally { Disconnect-AtomSphere -Connection $connection }
    }
}

Describe 'Errors give their advice once' {
    It 'says what to do in the message and does not repeat it in ErrorDetails' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({ param($m) Import-Module $m; Get-ApiToken }).AddArgument((Get-TestModulePath))
            try { $ps.Invoke() } catch { }
            $record = @($ps.Streams.Error)[0]
            if (-not $record) { $record = $ps.InvocationStateInfo.Reason.ErrorRecord }
        }
        finally { $ps.Dispose() }

        $record.FullyQualifiedErrorId | Should -BeLike 'NotConnected,*'
        $message = $record.Exception.Message
        ([regex]::Matches($message, 'Run Connect-AtomSphere first')).Count | Should -Be 1
        $record.ErrorDetails | Should -BeNullOrEmpty
    }
}

Describe 'Bulk work while the service is away' {
    It 'ends with one ServiceUnavailable per item once the service has stayed away past the outage tolerance' {
        $down = Start-TokenServer
        try {
            $user = New-TestUser -Server $down -AccountId 'acme-down' -UserId 'admin@acme.example' -Admin
            Add-TokenServerSeed -Server $down -AccountId 'acme-down' -Users 60 -TokensPerUser 5
            $connection = Connect-AtomSphere -AccountId 'acme-down' -Credential $user.Credential -Uri $down.Uri -RequestsPerSecond 0 -PassThru
            $tokens = @(Get-ApiToken -AllUsers -Name 'seed-*' -Connection $connection)
            $tokens | Should -HaveCount 300
            $down | Stop-TokenServer -KeepFiles

            # A long step says what it is doing (the run would otherwise be silent for about 40 s).
            Write-Host '    Revoking 300 tokens against a stopped service: the module first waits out its 30 s outage tolerance...'
            $elapsed = Measure-Command {
                $tokens | Remove-ApiToken -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
            }
            Write-Host "    300 revocations against a stopped service ended after $([Math]::Round($elapsed.TotalSeconds, 1)) s"

            $failures | Should -HaveCount 300
            @($failures | Where-Object { $_.FullyQualifiedErrorId -notlike 'ServiceUnavailable,*' }) | Should -HaveCount 0
            @($failures | Where-Object { "$_" -like '*requests now fail at once*' }).Count | Should -BeGreaterThan 200 -Because 'after the tolerance the rest fail without waiting'
            @($failures | Get-ErrorTargetId | Select-Object -Unique) | Should -HaveCount 300
        }
        finally {
            if ($connection) { Disconnect-AtomSphere -Connection $connection }
            $down | Stop-TokenServer
        }
    }

    It 'says in the progress that it is retrying' {
        # One request a second: four at once are three throttled answers (503 RateLimited), each retried.
        $throttling = Start-TokenServer -RateLimit 1
        try {
            $user = New-TestUser -Server $throttling -AccountId 'acme-retrying' -UserId 'admin@acme.example' -Admin -TokenName 'retrying-admin'
            1..4 | ForEach-Object { New-ServerToken -User $user -Name "retry-$_" } | Out-Null
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript({
                        param($ModulePath, $Credential, $Uri)
                        Import-Module $ModulePath
                        $ProgressPreference = 'Continue'
                        $c = Connect-AtomSphere -AccountId 'acme-retrying' -Credential $Credential -Uri $Uri -RequestsPerSecond 0 -PassThru
                        Get-ApiToken -Name 'retry-*' -Connection $c | Disable-ApiToken -Confirm:$false
                    }).AddArgument((Get-TestModulePath)).AddArgument($user.Credential).AddArgument($throttling.Uri)
                $null = $ps.Invoke()
                $ps.HadErrors | Should -BeFalse
                $statuses = @($ps.Streams.Progress | Where-Object Activity -EQ 'Disabling API tokens' | ForEach-Object StatusDescription)
            }
            finally { $ps.Dispose() }

            @($statuses | Where-Object { $_ -like '*retrying (POST /ApiToken/*: retrying in * s (503 RateLimited))*' }).Count | Should -BeGreaterThan 0
        }
        finally { $throttling | Stop-TokenServer }
    }
}
