#Requires -Version 7.2
# Enable-ApiToken (spec: docs/cmdlets.md). Tokens are disabled with the direct API first; state is read back as the administrator.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 50
    $account = 'acme-enable'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    $adminConnection = Connect-TestUser $admin
    $aliceConnection = Connect-TestUser $alice   # the default

    function New-Name([string]$Prefix = 'en') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function New-DisabledToken($User, [string]$Name = (New-Name)) {
        $made = New-ServerToken -User $User -Name $Name
        Set-ServerToken -User $User -Id $made.id -Status DISABLED | Out-Null
        $made
    }
    function Get-ServerStatus([string]$Id) { (Get-ServerToken -User $admin -Id $Id).status }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Enable-ApiToken targets' {
    It 'enables every token piped from Get-ApiToken, and they authenticate again' {
        $prefix = New-Name 'pipe'
        $made = 1..3 | ForEach-Object { New-DisabledToken $alice "$prefix-$_" }
        $made | ForEach-Object { Get-AuthenticationStatus -User $alice -Token $_.token | Should -Be 401 }

        $output = Get-ApiToken -Name "$prefix-*" -Status Disabled | Enable-ApiToken -Confirm:$false

        $output | Should -BeNullOrEmpty -Because 'nothing is written without -PassThru'
        foreach ($t in $made) {
            Get-ServerStatus $t.id | Should -Be 'ENABLED'
            Get-AuthenticationStatus -User $alice -Token $t.token | Should -Be 200
        }
    }

    It 'enables the token given with -InputObject' {
        $made = New-DisabledToken $alice
        Enable-ApiToken -InputObject (Get-ApiToken -Id $made.id) -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'ENABLED'
    }

    It 'enables by -Id' {
        $made = New-DisabledToken $alice
        Enable-ApiToken -Id $made.id -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'ENABLED'
    }

    It 'enables by an Id property of piped objects' {
        $made = 1..2 | ForEach-Object { New-DisabledToken $alice }
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id } } | Enable-ApiToken -Confirm:$false
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'ENABLED' }
    }

    It 'enables by the Id column of Import-Csv rows' {
        $made = 1..2 | ForEach-Object { New-DisabledToken $alice }
        $csv = Join-Path $TestDrive 'enable.csv'
        $made | ForEach-Object { [pscustomobject]@{ Id = $_.id } } | Export-Csv -Path $csv -NoTypeInformation
        Import-Csv $csv | Enable-ApiToken -Confirm:$false
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'ENABLED' }
    }

    It 'enables every own token matching a -Name wildcard, and only those' {
        $prefix = New-Name 'wild'
        $made = 1..2 | ForEach-Object { New-DisabledToken $alice "$prefix-$_" }
        $other = New-DisabledToken $alice
        $bobs = New-DisabledToken $bob "$prefix-bob"

        Enable-ApiToken -Name "$prefix-*" -Confirm:$false

        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'ENABLED' }
        Get-ServerStatus $other.id | Should -Be 'DISABLED'
        Get-ServerStatus $bobs.id | Should -Be 'DISABLED'
    }

    It 'enables by a literal -Name, positionally' {
        $name = New-Name
        $made = New-DisabledToken $alice $name
        Enable-ApiToken $name -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'ENABLED'
    }

    It 'outputs the enabled token with -PassThru' {
        $made = New-DisabledToken $alice
        $output = @(Enable-ApiToken -Id $made.id -PassThru -Confirm:$false)
        $output | Should -HaveCount 1
        $output[0] | Should -BeOfType ([TokenManagement.ApiToken])
        $output[0].Id | Should -Be $made.id
        $output[0].Status | Should -Be ([TokenManagement.ApiTokenStatus]::Enabled)
    }

    It 'changes nothing with -WhatIf, even with -Force' {
        $name = New-Name
        $made = New-DisabledToken $alice $name
        Get-ApiToken -Id $made.id | Enable-ApiToken -WhatIf
        Enable-ApiToken -Id $made.id -WhatIf
        Enable-ApiToken -Name $name -WhatIf
        Enable-ApiToken -Id $made.id -WhatIf -Force
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
        Get-AuthenticationStatus -User $alice -Token $made.token | Should -Be 401
    }
}

Describe 'Enable-ApiToken errors and permissions' {
    It 'writes ApiTokenNotFound with the name as target for a literal -Name that matches nothing' {
        Enable-ApiToken -Name 'no-such-token' -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-token'
    }

    It 'writes ApiTokenNotFound with the id as target for a missing id, and enables the others' {
        $made = 1..2 | ForEach-Object { New-DisabledToken $alice }
        $made[0].id, 'no-such-id', $made[1].id | ForEach-Object { [pscustomobject]@{ Id = $_ } } |
            Enable-ApiToken -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-id'
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'ENABLED' }
    }

    It "lets an administrator enable another user's token" {
        $made = New-DisabledToken $bob
        Enable-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false
        Get-ServerStatus $made.id | Should -Be 'ENABLED'
        Get-AuthenticationStatus -User $bob -Token $made.token | Should -Be 200
    }

    It "lets an administrator enable other users' tokens from Get-ApiToken -AllUsers" {
        $prefix = New-Name 'admin-pipe'
        $made = @(New-DisabledToken $bob "$prefix-1"; New-DisabledToken $alice "$prefix-2")
        Get-ApiToken -AllUsers -Name "$prefix-*" -Connection $adminConnection |
            Enable-ApiToken -Connection $adminConnection -Confirm:$false
        $made | ForEach-Object { Get-ServerStatus $_.id | Should -Be 'ENABLED' }
    }

    It "does not let a user enable another user's token (ApiTokenNotFound)" {
        $made = New-DisabledToken $bob
        Enable-ApiToken -Id $made.id -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly $made.id
        Get-ServerStatus $made.id | Should -Be 'DISABLED'
    }
}
