#Requires -Version 7.2
# What a user is told (issue 11): an -AllUsers listing that cannot be complete says so, messages name what happened
# and advice fits the case (never the command just run, never a privilege the caller has), and -PassThru shows the
# status a token has after the command.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 20
    $account = 'acme-advice'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    Add-TokenServerSeed -Server $server -AccountId $account -Users 20 -TokensPerUser 1
    $adminConnection = Connect-TestUser $admin
    $aliceConnection = Connect-TestUser $alice   # the default

    function New-Name([string]$Prefix = 'adv') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Get-ApiToken -AllUsers says when it cannot see everyone' {
    It 'warns a non-administrator once that only their own tokens are visible' {
        $inputs = [pscustomobject]@{ Id = 'no-such-1' }, [pscustomobject]@{ Id = 'no-such-2' }
        $tokens = @(Get-ApiToken -AllUsers -Connection $aliceConnection -WarningVariable warnings -WarningAction SilentlyContinue)
        $tokens.UserId | Sort-Object -Unique | Should -Be $alice.UserId
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -BeLike '*only*own*tokens*Account Administration*'

        @($inputs | Get-ApiToken -AllUsers -Connection $aliceConnection -WarningVariable piped -WarningAction SilentlyContinue -ErrorAction SilentlyContinue) | Out-Null
        $piped | Should -HaveCount 1 -Because 'the warning comes once per command, not once per record'
    }

    It 'does not warn an administrator' {
        $tokens = @(Get-ApiToken -AllUsers -Connection $adminConnection -WarningVariable warnings)
        $tokens.Count | Should -BeGreaterThan 20
        $warnings | Should -BeNullOrEmpty
    }

    It 'warns a non-administrator about -UserId of another user' {
        @(Get-ApiToken -UserId $bob.UserId -Connection $aliceConnection -WarningVariable warnings -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -BeLike '*only*own*tokens*'
    }
}

Describe 'Get-ApiToken -Name that finds nothing' {
    It 'tells an administrator how many other users hold the name, and to add -AllUsers' {
        Get-ApiToken -Name 'seed-001' -Connection $adminConnection -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].TargetObject | Should -BeExactly 'seed-001'
        "$($errs[0])" | Should -BeExactly "You have no API token named 'seed-001'; 20 other users do: add -AllUsers."
    }

    It 'tells an administrator with -AllUsers that nobody has the name, without suggesting Get-ApiToken' {
        Get-ApiToken -Name 'nobody-has-this' -AllUsers -Connection $adminConnection -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        "$($errs[0])" | Should -BeLike "No API token in account $account is named 'nobody-has-this'.*"
        "$($errs[0])" | Should -Not -BeLike '*Get-ApiToken*'
        "$($errs[0])" | Should -Not -BeLike '*-AllUsers*'
    }

    It 'tells a non-administrator that they have no such token, without suggesting Get-ApiToken or -AllUsers' {
        Get-ApiToken -Name 'seed-001' -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        "$($errs[0])" | Should -BeLike "You have no API token named 'seed-001'.*"
        "$($errs[0])" | Should -Not -BeLike '*Get-ApiToken*'
        "$($errs[0])" | Should -Not -BeLike '*add -AllUsers*'
    }

    It 'does not suggest Get-ApiToken for an id that matches nothing' {
        Get-ApiToken -Id 'no-such-id' -Connection $adminConnection -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        "$($errs[0])" | Should -Not -BeLike '*Get-ApiToken*'
    }
}

Describe 'Advice that fits the case' {
    It "does not tell an administrator refused a rename of another user's token to get Account Administration" {
        $made = New-ServerToken -User $bob -Name (New-Name)
        Rename-ApiToken -Id $made.id -NewName (New-Name 'by-admin') -Connection $adminConnection -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*'
        "$($errs[0])" | Should -Not -BeLike '*Account Administration*'
        "$($errs[0])" | Should -Not -BeLike '*API Access*'
        "$($errs[0])" | Should -BeLike "*only its owner*$($bob.UserId)*"
    }

    It 'tells a non-administrator, not an administrator, that other users'' tokens need Account Administration (<Who>)' -TestCases @(
        @{ Who = 'alice'; Expect = $true }
        @{ Who = 'admin'; Expect = $false }
    ) {
        $connection = if ($Who -eq 'alice') { $aliceConnection } else { $adminConnection }
        Disable-ApiToken -Id 'no-such-id' -Connection $connection -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        ("$($errs[0])" -like '*Account Administration*') | Should -Be $Expect
    }

    It 'tells an administrator whose -Name finds only other users'' tokens how to act on them' {
        Disable-ApiToken -Name 'seed-001' -Connection $adminConnection -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        "$($errs[0])" | Should -BeLike "*20 other users*Get-ApiToken -AllUsers -Name 'seed-001' | Disable-ApiToken*"
    }

    It 'tells a user who lost API Access after connecting about API Access, not Account Administration' {
        $userId = "lost-$([Guid]::NewGuid().ToString('n').Substring(0, 6))@acme.example"
        $user = New-TestUser -Server $server -AccountId $account -UserId $userId
        $connection = Connect-TestUser $user
        try {
            New-TokenServerUser -Server $server -AccountId $account -UserId $userId -NoApiAccess -TokenName 'second' | Out-Null
            Get-ApiToken -Connection $connection -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*'
            "$($errs[0])" | Should -BeLike '*API Access*Connect-AtomSphere*'
            "$($errs[0])" | Should -Not -BeLike '*Account Administration*'
        }
        finally {
            Disconnect-AtomSphere -Connection $connection
            Select-AtomSphereConnection -Connection $aliceConnection
        }
    }

    It 'gives one piece of advice for a token that no longer authenticates, after connecting' {
        $user = New-TestUser -Server $server -AccountId $account -UserId "gone-$([Guid]::NewGuid().ToString('n').Substring(0, 6))@acme.example"
        $connection = Connect-TestUser $user
        try {
            $own = Get-ServerToken -User $user | Select-Object -First 1
            Set-ServerToken -User $admin -Id $own.id -Status DISABLED | Out-Null
            Get-ApiToken -Connection $connection -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
            "$($errs[0])" | Should -BeLike "*connection $($connection.Id)*Connect-AtomSphere*"
            "$($errs[0])" | Should -Not -BeLike '*Check the account id*'
        }
        finally {
            Disconnect-AtomSphere -Connection $connection
            Select-AtomSphereConnection -Connection $aliceConnection
        }
    }
}

Describe '-PassThru shows the status after the command' {
    It 'Remove-ApiToken -PassThru writes the token with Status Revoked' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $output = @(Remove-ApiToken -Id $made.id -PassThru -Confirm:$false)
        $output | Should -HaveCount 1
        $output[0].Id | Should -Be $made.id
        $output[0].Status | Should -Be ([TokenManagement.ApiTokenStatus]::Revoked)
        Get-ServerToken -User $alice -Id $made.id | Should -BeNullOrEmpty
    }

    It 'a token piped to Remove-ApiToken keeps its own status; the output says Revoked' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Id $made.id
        $output = @($token | Remove-ApiToken -PassThru -Confirm:$false)
        $output[0].Status | Should -Be ([TokenManagement.ApiTokenStatus]::Revoked)
        $token.Status | Should -Be ([TokenManagement.ApiTokenStatus]::Enabled)
    }

    It 'refuses a revoked token piped on with ApiTokenNotFound that says it was revoked, without asking the service' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $revoked = Remove-ApiToken -Id $made.id -PassThru -Confirm:$false
        $revoked | Enable-ApiToken -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'POST' } | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        "$($errs[0])" | Should -BeLike "*'$($made.name)'*was revoked*New-ApiToken*"
    }

    It 'Disable- and Enable-ApiToken -PassThru write the new status' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Id $made.id
        ($token | Disable-ApiToken -PassThru -Confirm:$false).Status | Should -Be ([TokenManagement.ApiTokenStatus]::Disabled)
        ($token | Enable-ApiToken -PassThru -Confirm:$false).Status | Should -Be ([TokenManagement.ApiTokenStatus]::Enabled)
        (Get-ServerToken -User $alice -Id $made.id).status | Should -Be 'ENABLED'
    }

    It 'refuses -Status Revoked in Get-ApiToken at binding (the service keeps no revoked tokens)' {
        { Get-ApiToken -Status Revoked -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }
}
