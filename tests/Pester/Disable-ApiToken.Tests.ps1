#Requires -Version 7.2
# Disable-ApiToken (spec: docs/cmdlets.md). Server state is read back as the administrator, who sees every token.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 50
    $account = 'acme-disable'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    $adminConnection = Connect-TestUser $admin
    $aliceConnection = Connect-TestUser $alice   # the default

    function New-Name([string]$Prefix = 'dis') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function Get-ServerStatus([string]$Id) { (Get-ServerToken -User $admin -Id $Id).status }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Disable-ApiToken targets' {
    It 'disables every token piped from Get-ApiToken, and they no longer authenticate' {
        $prefix = New-Name 'pipe'
        $made = 1..3 | ForEach-Object { New-ServerToken -User $alice -Name "$prefix-$_" }

        $output = Get-ApiToken -Name "$prefix-*" | Disable-ApiToken -Confirm:$false

        $output | Should -BeNullOrEmpty -Because 'nothing is written without -PassThru'
        foreach ($t in $made) {
            Get-ServerStatus $t.id | Should -Be 'DISABLED'
            Get-AuthenticationStatus -User $alice -Token $t.token | Should -Be 401
        }
    }

    It 'disables the token given with -InputObject' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Id $made.id
        Disable-ApiToken -InputObject $token -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
    }

    It 'disables by -Id' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        Disable-ApiToken -Id $made.id -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
    }

    It 'disables by an Id property of piped objects' {
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name) }
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id } } | Disable-ApiToken -Confirm:$false
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
    }

    It 'disables by the Id column of Import-Csv rows' {
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name) }
        $csv = Join-Path $TestDrive 'disable.csv'
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id; Reason = 'audit' } } | Export-Csv -Path $csv -NoTypeInformation
        Import-Csv $csv | Disable-ApiToken -Confirm:$false
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
    }

    It 'disables every own token matching a -Name wildcard, and only those' {
        $prefix = New-Name 'wild'
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name "$prefix-$_" }
        $other = New-ServerToken -User $alice -Name (New-Name 'other')
        $bobs = New-ServerToken -User $bob -Name "$prefix-bob"

        Disable-ApiToken -Name "$prefix-*" -Confirm:$false

        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
        Get-ServerStatus $other.id | Should -Be 'ENABLED'
        Get-ServerStatus $bobs.id | Should -Be 'ENABLED'
    }

    It 'disables by a literal -Name, positionally' {
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name
        Disable-ApiToken $name -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
    }

    It 'outputs the disabled token with -PassThru' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $output = @(Disable-ApiToken -Id $made.id -PassThru -Confirm:$false)
        $output | Should -HaveCount 1
        $output[0] | Should -BeOfType ([TokenManagement.ApiToken])
        $output[0].Id | Should -Be $made.id
        $output[0].Status | Should -Be ([TokenManagement.ApiTokenStatus]::Disabled)
    }

    It 'changes nothing with -WhatIf, even with -Force' {
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name
        Get-ApiToken -Id $made.id | Disable-ApiToken -WhatIf
        Disable-ApiToken -Id $made.id -WhatIf
        Disable-ApiToken -Name $name -WhatIf
        Disable-ApiToken -Id $made.id -WhatIf -Force
        Get-ServerStatus $made.id | Should -Be 'ENABLED'
        Get-AuthenticationStatus -User $alice -Token $made.token | Should -Be 200
    }
}

Describe 'Disable-ApiToken errors and permissions' {
    It 'writes ApiTokenNotFound with the name as target for a literal -Name that matches nothing' {
        Disable-ApiToken -Name 'no-such-token' -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-token'
    }

    It 'is silent for a -Name wildcard that matches nothing' {
        Disable-ApiToken -Name 'zz-nothing-*' -Confirm:$false -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
    }

    It 'writes ApiTokenNotFound with the id as target for a missing id, and disables the others' {
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name (New-Name) }
        $made[0].id, 'no-such-id', $made[1].id | ForEach-Object { [pscustomobject]@{ Id = $_ } } |
            Disable-ApiToken -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-id'
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
    }

    It "lets an administrator disable another user's token by -Id" {
        $made = New-ServerToken -User $bob -Name (New-Name)
        Disable-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
        Get-AuthenticationStatus -User $bob -Token $made.token | Should -Be 401
    }

    It "lets an administrator disable other users' tokens from Get-ApiToken -AllUsers" {
        $prefix = New-Name 'admin-pipe'
        $made = @(New-ServerToken -User $bob -Name "$prefix-1"; New-ServerToken -User $alice -Name "$prefix-2")
        Get-ApiToken -AllUsers -Name "$prefix-*" -Connection $adminConnection |
            Disable-ApiToken -Connection $adminConnection -Confirm:$false
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
    }

    It "does not let a user disable another user's token (ApiTokenNotFound)" {
        $made = New-ServerToken -User $bob -Name (New-Name)
        Disable-ApiToken -Id $made.id -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly $made.id
        Get-ServerStatus $made.id | Should -Be 'ENABLED'
    }
}

Describe "Disable-ApiToken and the connection's own token" {
    It 'skips the own token with ApiTokenInUse without -IncludeCurrentToken, disables the others, and the connection keeps working' {
        $owner = New-TestUser -Server $server -AccountId $account -UserId 'owner@acme.example'
        $others = 1..2 | ForEach-Object { New-ServerToken -User $owner -Name (New-Name 'owned') }
        $connection = Connect-TestUser $owner
        $ownId = (Get-ServerToken -User $owner | Where-Object name -EQ $owner.TokenName).id

        Get-ApiToken -Connection $connection | Disable-ApiToken -Connection $connection -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue

        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenInUse,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $errs[0] | Get-ErrorTargetId | Should -Be $ownId
        Get-ServerStatus $ownId | Should -Be 'ENABLED'
        $others | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
        "$((Get-AtomSphereConnection | Where-Object Id -EQ $connection.Id).State)" | Should -Be 'Open'
        @(Get-ApiToken -Connection $connection).Id | Should -Contain $ownId
    }

    It 'skips the own token given by -Id with ApiTokenInUse' {
        $owner = New-TestUser -Server $server -AccountId $account -UserId 'owner2@acme.example'
        $connection = Connect-TestUser $owner
        $ownId = (Get-ServerToken -User $owner | Where-Object name -EQ $owner.TokenName).id

        Disable-ApiToken -Id $ownId -Connection $connection -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue

        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenInUse,*'
        Get-ServerStatus $ownId | Should -Be 'ENABLED'
        Get-AuthenticationStatus -User $owner | Should -Be 200
    }

    It 'disables the own token last with -IncludeCurrentToken and closes the connection' {
        $owner = New-TestUser -Server $server -AccountId $account -UserId 'forced@acme.example'
        $others = 1..2 | ForEach-Object { New-ServerToken -User $owner -Name (New-Name 'owned') }
        $connection = Connect-TestUser $owner
        $ownId = (Get-ServerToken -User $owner | Where-Object name -EQ $owner.TokenName).id

        $output = @(Get-ApiToken -Connection $connection | Disable-ApiToken -Connection $connection -IncludeCurrentToken -PassThru -Confirm:$false -WarningAction SilentlyContinue)

        $output | Should -HaveCount 3
        $output[-1].Id | Should -Be $ownId -Because 'the own token is processed after all others'
        Get-ServerStatus $ownId | Should -Be 'DISABLED'
        $others | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'DISABLED' }
        Get-AuthenticationStatus -User $owner | Should -Be 401
        "$((Get-AtomSphereConnection | Where-Object Id -EQ $connection.Id).State)" | Should -Be 'Closed'
    }
}
