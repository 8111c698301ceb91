#Requires -Version 7.2
# Remove-ApiToken / Revoke-ApiToken (spec: docs/cmdlets.md; the user's story: revoking API tokens).
# Server state is read back as the administrator, who sees every token of the account.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 50
    $account = 'acme-remove'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    $adminConnection = Connect-TestUser $admin
    $aliceConnection = Connect-TestUser $alice   # the default

    function New-Name([string]$Prefix = 'rm') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function Test-ServerToken([string]$Id) { $null -ne (Get-ServerToken -User $admin -Id $Id) }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Remove-ApiToken metadata' {
    It 'has the alias Revoke-ApiToken' {
        $alias = Get-Alias Revoke-ApiToken
        $alias.ResolvedCommandName | Should -Be 'Remove-ApiToken'
        $alias.ModuleName | Should -Be 'TokenManagement'
    }

    It 'supports ShouldProcess with ConfirmImpact High' {
        $command = Get-Command Remove-ApiToken
        $attribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true) | Select-Object -First 1
        $attribute.SupportsShouldProcess | Should -BeTrue
        $attribute.ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]::High)
        [System.Management.Automation.CommandMetadata]::new($command).ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]::High)
    }
}

Describe 'Remove-ApiToken targets' {
    It 'revokes the token piped from Get-ApiToken; it is gone and no longer authenticates' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Get-AuthenticationStatus -User $alice -Token $made.token | Should -Be 200

        $output = Get-ApiToken -Id $made.id | Remove-ApiToken -Confirm:$false

        $output | Should -BeNullOrEmpty -Because 'nothing is written without -PassThru'
        Test-ServerToken $made.id | Should -BeFalse
        Get-AuthenticationStatus -User $alice -Token $made.token | Should -Be 401
    }

    It 'revokes through the Revoke-ApiToken alias' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Revoke-ApiToken -Id $made.id -Confirm:$false
        Test-ServerToken $made.id | Should -BeFalse
    }

    It 'revokes the token given with -InputObject' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Remove-ApiToken -InputObject (Get-ApiToken -Id $made.id) -Confirm:$false
        Test-ServerToken $made.id | Should -BeFalse
    }

    It 'revokes by -Id' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Remove-ApiToken -Id $made.id -Confirm:$false
        Test-ServerToken $made.id | Should -BeFalse
    }

    It 'revokes by an Id property of piped objects' {
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name) }
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id } } | Remove-ApiToken -Confirm:$false
        $made | ForEach-Object { Test-ServerToken $_.id | Should -BeFalse }
    }

    It 'revokes by the Id column of Import-Csv rows' {
        $made = 1..3 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name) }
        $keep = New-ServerToken -User $alice -Name (New-Name 'keep')
        $csv = Join-Path $TestDrive 'revoke.csv'
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id; Owner = 'alice' } } | Export-Csv -Path $csv -NoTypeInformation
        Import-Csv $csv | Remove-ApiToken -Confirm:$false
        $made | ForEach-Object { Test-ServerToken $_.id | Should -BeFalse }
        Test-ServerToken $keep.id | Should -BeTrue
    }

    It 'revokes every own token matching a -Name wildcard, and only those' {
        $prefix = New-Name 'wild'
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name "$prefix-$_" }
        $other = New-ServerToken -User $alice -Name (New-Name 'other')
        $bobs = New-ServerToken -User $bob -Name "$prefix-bob"

        Remove-ApiToken -Name "$prefix-*" -Confirm:$false

        $made | ForEach-Object { Test-ServerToken $_.id | Should -BeFalse }
        Test-ServerToken $other.id | Should -BeTrue
        Test-ServerToken $bobs.id | Should -BeTrue
    }

    It 'revokes by a literal -Name, positionally' {
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name
        Remove-ApiToken $name -Confirm:$false
        Test-ServerToken $made.id | Should -BeFalse
    }

    It 'outputs the revoked token (Status Revoked) with -PassThru' {
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name
        $output = @(Remove-ApiToken -Id $made.id -PassThru -Confirm:$false)
        $output | Should -HaveCount 1
        $output[0] | Should -BeOfType ([TokenManagement.ApiToken])
        $output[0].Id | Should -Be $made.id
        $output[0].Name | Should -BeExactly $name
        $output[0].Status | Should -Be ([TokenManagement.ApiTokenStatus]::Revoked)
        Test-ServerToken $made.id | Should -BeFalse
    }

    It 'completes token names for -Name' {
        $made = New-ServerToken -User $alice -Name 'complete-me-please'
        $line = 'Remove-ApiToken -Name complete-me'
        $completions = (Get-TestCompletion $line).CompletionText | ForEach-Object { $_.Trim("'", '"') }
        $completions | Should -Contain 'complete-me-please'
        Remove-ServerToken -User $alice -Id $made.id
    }

    It 'runs unattended with -Force alone (no prompt in a non-interactive session)' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Remove-ApiToken -Id $made.id -Force
        Test-ServerToken $made.id | Should -BeFalse
    }
}

Describe 'Remove-ApiToken -WhatIf' {
    It 'sends no changing request with -WhatIf (<Case>)' -ForEach @(
        @{ Case = 'piped'; Invoke = { param($t) Get-ApiToken -Id $t.id | Remove-ApiToken -WhatIf } }
        @{ Case = '-Id'; Invoke = { param($t) Remove-ApiToken -Id $t.id -WhatIf } }
        @{ Case = '-Name'; Invoke = { param($t) Remove-ApiToken -Name $t.name -WhatIf } }
        @{ Case = '-Token'; Invoke = { param($t) Remove-ApiToken -Token (ConvertTo-TestSecureString $t.token) -WhatIf } }
        @{ Case = '-WhatIf -Force'; Invoke = { param($t) Remove-ApiToken -Id $t.id -WhatIf -Force } }
        @{ Case = '-WhatIf -Confirm:$false'; Invoke = { param($t) Remove-ApiToken -Id $t.id -WhatIf -Confirm:$false } }
    ) {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $VerbosePreference = 'Continue'   # the requests show as verbose records
        $records = @(& $Invoke $made 4>&1)
        $VerbosePreference = 'SilentlyContinue'
        @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '\bDELETE\b' }) | Should -BeNullOrEmpty
        Test-ServerToken $made.id | Should -BeTrue
        Get-AuthenticationStatus -User $alice -Token $made.token | Should -Be 200
    }

    It 'names the token, its id and user in the -WhatIf message, never its value' {
        $name = New-Name 'whatif'
        $made = New-ServerToken -User $alice -Name $name
        $transcript = Join-Path $TestDrive 'whatif.txt'
        Start-Transcript -Path $transcript -UseMinimalHeader | Out-Null
        try {
            Remove-ApiToken -Token (ConvertTo-TestSecureString $made.token) -WhatIf
            Remove-ApiToken -Id $made.id -WhatIf
            Get-ApiToken -Id $made.id | Remove-ApiToken -WhatIf
        }
        finally { Stop-Transcript | Out-Null }
        $text = Get-Content -Raw $transcript

        # The target is resolved before ShouldProcess, also for -Token, -Id and piped tokens.
        [regex]::Matches($text, [regex]::Escape("'$name' (id $($made.id), user $($alice.UserId))")).Count | Should -Be 3
        $text | Should -Match ([regex]::Escape('Revoke API token (permanent: replace it wherever it is used)'))
        $text | Should -Not -Match ([regex]::Escape($made.token))
        Test-ServerToken $made.id | Should -BeTrue
    }
}

Describe 'Remove-ApiToken -Token (a leaked token)' {
    It "revokes the caller's token that has the value" {
        $made = New-ServerToken -User $alice -Name (New-Name 'leaked')
        Remove-ApiToken -Token (ConvertTo-TestSecureString $made.token) -Confirm:$false
        Test-ServerToken $made.id | Should -BeFalse
        Get-AuthenticationStatus -User $alice -Token $made.token | Should -Be 401
    }

    It "lets an administrator revoke another user's leaked token by value" {
        $made = New-ServerToken -User $bob -Name (New-Name 'leaked')
        $output = @(Remove-ApiToken -Token (ConvertTo-TestSecureString $made.token) -Connection $adminConnection -PassThru -Confirm:$false)
        $output.Id | Should -Be $made.id
        $output.UserId | Should -Be $bob.UserId
        Test-ServerToken $made.id | Should -BeFalse
        Get-AuthenticationStatus -User $bob -Token $made.token | Should -Be 401
    }

    It 'writes ApiTokenNotFound for a value that belongs to no visible token, without the value' {
        $value = [Guid]::NewGuid().ToString()
        Remove-ApiToken -Token (ConvertTo-TestSecureString $value) -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        Get-StreamText $errs | Should -Not -Match ([regex]::Escape($value))
    }

    It "does not let a user revoke another user's token by value" {
        $made = New-ServerToken -User $bob -Name (New-Name 'bobs')
        Remove-ApiToken -Token (ConvertTo-TestSecureString $made.token) -Confirm:$false -ErrorAction SilentlyContinue
        Test-ServerToken $made.id | Should -BeTrue
    }
}

Describe 'Remove-ApiToken errors and permissions' {
    It 'writes a non-terminating ApiTokenNotFound for a missing id in a pipeline and revokes the others' {
        $made = 1..3 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name) }
        $ids = $made[0].id, 'no-such-id', $made[1].id, $made[2].id

        $ids | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Remove-ApiToken -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue

        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-id'
        $made | ForEach-Object { Test-ServerToken $_.id | Should -BeFalse }
    }

    It 'writes ApiTokenNotFound with the name as target for a literal -Name that matches nothing' {
        Remove-ApiToken -Name 'no-such-token' -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-token'
    }

    It 'reports a token revoked meanwhile as ApiTokenNotFound with the token as target' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Id $made.id
        Remove-ServerToken -User $alice -Id $made.id
        Remove-ApiToken -InputObject $token -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly $made.id
    }

    It "lets an administrator revoke another user's token by -Id" {
        $made = New-ServerToken -User $bob -Name (New-Name)
        Remove-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false
        Test-ServerToken $made.id | Should -BeFalse
    }

    It "does not let a user revoke another user's token (ApiTokenNotFound)" {
        $made = New-ServerToken -User $bob -Name (New-Name)
        Remove-ApiToken -Id $made.id -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly $made.id
        Test-ServerToken $made.id | Should -BeTrue
    }
}

Describe "Remove-ApiToken and the connection's own token" {
    It 'Get-ApiToken | Remove-ApiToken -Confirm:$false revokes all but the own token, which gives ApiTokenInUse' {
        $owner = New-TestUser -Server $server -AccountId $account -UserId 'bulk@acme.example'
        $others = 1..4 | ForEach-Object { New-ServerToken -User $owner -Name (New-Name 'bulk') }
        $connection = Connect-TestUser $owner
        $ownId = (Get-ServerToken -User $owner | Where-Object name -EQ $owner.TokenName).id

        Get-ApiToken | Remove-ApiToken -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue

        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenInUse,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $errs[0] | Get-ErrorTargetId | Should -Be $ownId
        $others | ForEach-Object { Test-ServerToken $_.id | Should -BeFalse }
        @(Get-ServerToken -User $admin | Where-Object userId -EQ $owner.UserId).id | Should -Be @($ownId)
        "$((Get-AtomSphereConnection | Where-Object Id -EQ $connection.Id).State)" | Should -Be 'Open'
        @(Get-ApiToken).Id | Should -Be @($ownId)
    }

    It 'with -IncludeCurrentToken revokes the own token last and closes the connection' {
        $owner = New-TestUser -Server $server -AccountId $account -UserId 'forced@acme.example'
        $others = 1..3 | ForEach-Object { New-ServerToken -User $owner -Name (New-Name 'forced') }
        $connection = Connect-TestUser $owner
        $ownId = (Get-ServerToken -User $owner | Where-Object name -EQ $owner.TokenName).id

        $output = @(Get-ApiToken -Connection $connection | Remove-ApiToken -Connection $connection -IncludeCurrentToken -PassThru -Confirm:$false -WarningAction SilentlyContinue)

        $output | Should -HaveCount 4
        $output[-1].Id | Should -Be $ownId -Because 'the own token is revoked after all others'
        $others | ForEach-Object { Test-ServerToken $_.id | Should -BeFalse }
        Test-ServerToken $ownId | Should -BeFalse
        Get-AuthenticationStatus -User $owner | Should -Be 401
        "$((Get-AtomSphereConnection | Where-Object Id -EQ $connection.Id).State)" | Should -Be 'Closed'
        # It was the default connection: there is none now, and no fallback to an older one.
        $err = { Get-ApiToken } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NotConnected,*'
    }
}
