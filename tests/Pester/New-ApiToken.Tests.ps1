#Requires -Version 7.2
# New-ApiToken (spec: docs/cmdlets.md). The server keeps its default limit of 5 tokens a user.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 5
    $account = 'acme-new'
    # One user per scenario, so that the 5-token limit of one does not decide another's outcome.
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    $carol = New-TestUser -Server $server -AccountId $account -UserId 'carol@acme.example'
    $dave = New-TestUser -Server $server -AccountId $account -UserId 'dave@acme.example'
    $erin = New-TestUser -Server $server -AccountId $account -UserId 'erin@acme.example'
    $bobConnection = Connect-TestUser $bob
    $carolConnection = Connect-TestUser $carol
    $daveConnection = Connect-TestUser $dave
    $erinConnection = Connect-TestUser $erin
    $aliceConnection = Connect-TestUser $alice
    $uuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'New-ApiToken' {
    Context 'a new token' {
        BeforeAll {
            $created = New-ApiToken -Name 'ci-pipeline' -WarningVariable warnings -WarningAction SilentlyContinue
            $value = if ($created.Token -is [securestring]) { ConvertTo-PlainText $created.Token } else { "$($created.Token)" }
        }

        It 'returns one TokenManagement.CreatedApiToken, which is also an ApiToken' {
            @($created) | Should -HaveCount 1
            $created | Should -BeOfType ([TokenManagement.CreatedApiToken])
            $created | Should -BeOfType ([TokenManagement.ApiToken])
            $created.Name | Should -BeExactly 'ci-pipeline'
            $created.UserId | Should -Be $alice.UserId
            $created.AccountId | Should -Be $account
            $created.Status | Should -Be ([TokenManagement.ApiTokenStatus]::Enabled)
            $created.LastUsedDate | Should -BeNullOrEmpty
            $created.CreatedDate.Kind | Should -Be ([DateTimeKind]::Utc)
        }

        It 'holds the value as a SecureString' {
            $created.Token | Should -BeOfType ([securestring])
            $value | Should -Match $uuidPattern
            $created.TokenPrefix | Should -BeExactly $value.Substring(0, 6)
        }

        It 'gives a value that authenticates' {
            Get-AuthenticationStatus -User $alice -Token $value | Should -Be 200
        }

        It 'writes the one-time warning, without the value' {
            $warnings | Should -HaveCount 1
            $warnings[0].Message | Should -BeExactly "Token 'ci-pipeline' (id $($created.Id), user $($alice.UserId)) created. Its value is in the Token property of this output and cannot be retrieved again: store it now."
            $warnings[0].Message | Should -Not -Match ([regex]::Escape($value))
        }

        It 'creates the token on the server' {
            $fromServer = Get-ServerToken -User $alice -Id $created.Id
            $fromServer | Should -Not -BeNullOrEmpty
            $fromServer.name | Should -BeExactly 'ci-pipeline'
            $fromServer.userId | Should -Be $alice.UserId
            $fromServer.status | Should -Be 'ENABLED'
            $fromServer.tokenPrefix | Should -BeExactly $created.TokenPrefix
        }

        It 'shows the value once when the object is displayed, and only the SecureString in Format-List *' {
            ([regex]::Matches(($created | Out-String), [regex]::Escape($value))).Count | Should -Be 1
            $created | Format-List * -Force | Out-String | Should -Not -Match ([regex]::Escape($value))
        }
    }

    It 'returns the value as a string with -AsPlainText' {
        $created = New-ApiToken -Name 'plain' -AsPlainText -WarningAction SilentlyContinue
        $created | Should -BeOfType ([TokenManagement.CreatedApiToken])
        $created.Token | Should -BeOfType ([string])
        $created.Token | Should -Match $uuidPattern
        $created.TokenPrefix | Should -BeExactly $created.Token.Substring(0, 6)
        Get-AuthenticationStatus -User $alice -Token $created.Token | Should -Be 200
    }

    It 'creates nothing with -WhatIf' {
        $output = New-ApiToken -Name 'what-if' -WhatIf -WarningAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        @(Get-ServerToken -User $alice).name | Should -Not -Contain 'what-if'
    }

    It 'takes names from the pipeline, by value and by property name' {
        $byValue = @('pipe-1', 'pipe-2' | New-ApiToken -Connection $bobConnection -WarningAction SilentlyContinue)
        $byProperty = @([pscustomobject]@{ Name = 'prop-1' } | New-ApiToken -Connection $bobConnection -WarningAction SilentlyContinue)

        $byValue.Name | Should -Be @('pipe-1', 'pipe-2')
        $byProperty.Name | Should -Be @('prop-1')
        $names = @(Get-ServerToken -User $bob).name
        $names | Should -Contain 'pipe-1'
        $names | Should -Contain 'pipe-2'
        $names | Should -Contain 'prop-1'
    }

    It 'writes one warning per token created from the pipeline, each naming its token' {
        $created = @('warn-1', 'warn-2' | New-ApiToken -Connection $carolConnection -WarningVariable warnings -WarningAction SilentlyContinue)
        $created | Should -HaveCount 2
        $warnings | Should -HaveCount 2
        $warnings[0].Message | Should -Match "'warn-1'"
        $warnings[1].Message | Should -Match "'warn-2'"
    }

    It 'accepts a name of exactly 100 characters' {
        $name = 'n' * 100
        $created = New-ApiToken -Name $name -Connection $carolConnection -WarningAction SilentlyContinue
        $created.Name | Should -BeExactly $name
        @(Get-ServerToken -User $carol).name | Should -Contain $name
    }
}

Describe 'New-ApiToken errors' {
    It 'rejects <Case> with InvalidApiTokenName before any request' -ForEach @(
        @{ Case = 'a name of 101 characters'; Name = ('x' * 101) }
        @{ Case = 'a name with a tab'; Name = "bad`tname" }
        @{ Case = 'a name with a newline'; Name = "bad`nname" }
        @{ Case = 'a name with a NUL'; Name = "bad$([char]0)name" }
    ) {
        $before = @(Get-ServerToken -User $dave).id
        $records = @(New-ApiToken -Name $Name -Connection $daveConnection -Verbose -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue 4>&1)

        @($records | Where-Object { $_ -is [TokenManagement.ApiToken] }) | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidApiTokenName,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        # Checked client-side: no POST /ApiToken was sent, and the server holds the same tokens.
        @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'POST\s+\S*/ApiToken' }) |
            Should -BeNullOrEmpty
        @(Get-ServerToken -User $dave).id | Should -Be $before
    }

    It 'rejects a name the user already has (case-insensitively) with ApiTokenNameConflict' {
        New-ServerToken -User $dave -Name 'taken' | Out-Null
        foreach ($name in 'taken', 'TAKEN') {
            $output = @(New-ApiToken -Name $name -Connection $daveConnection -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
            $output | Should -BeNullOrEmpty
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNameConflict,*'
            $errs[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        }
        @(Get-ServerToken -User $dave | Where-Object name -EQ 'taken') | Should -HaveCount 1
    }

    It 'allows a name that another user already has' {
        $created = New-ApiToken -Name 'ci-pipeline' -Connection $daveConnection -WarningAction SilentlyContinue
        $created.UserId | Should -Be $dave.UserId
    }

    It 'rejects a sixth token with ApiTokenLimitReached and creates nothing' {
        foreach ($i in 2..5) { New-ServerToken -User $erin -Name "held-$i" | Out-Null }
        @(Get-ServerToken -User $erin) | Should -HaveCount 5

        $output = @(New-ApiToken -Name 'sixth' -Connection $erinConnection -ErrorVariable errs -ErrorAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue)

        $output | Should -BeNullOrEmpty
        $warnings | Should -BeNullOrEmpty -Because 'no token was created, so no value is shown'
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenLimitReached,*'
        $errs[0].CategoryInfo.Category | Should -Be 'QuotaExceeded'
        @(Get-ServerToken -User $erin) | Should -HaveCount 5
        @(Get-ServerToken -User $erin).name | Should -Not -Contain 'sixth'
    }

    It 'keeps going through the pipeline after a failing name' {
        Remove-ServerToken -User $erin -Id (Get-ServerToken -User $erin | Where-Object name -EQ 'held-5').id
        Remove-ServerToken -User $erin -Id (Get-ServerToken -User $erin | Where-Object name -EQ 'held-4').id
        $output = @(('y' * 101), 'after-bad' | New-ApiToken -Connection $erinConnection -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        $output.Name | Should -Be @('after-bad')
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidApiTokenName,*'
        @(Get-ServerToken -User $erin).name | Should -Contain 'after-bad'
    }
}
