#Requires -Version 7.2
# Rename-ApiToken (spec: docs/cmdlets.md). Tokens are made and read back with the direct API helpers.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 50
    $account = 'acme-rename'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    $adminConnection = Connect-TestUser $admin
    $aliceConnection = Connect-TestUser $alice   # the default

    function New-Name([string]$Prefix = 'rn') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function Get-ServerName([string]$Id, $User = $alice) { (Get-ServerToken -User $User -Id $Id).name }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Rename-ApiToken targets' {
    It 'renames the token piped from Get-ApiToken (-InputObject)' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $newName = New-Name 'renamed'
        $output = Get-ApiToken -Id $made.id | Rename-ApiToken -NewName $newName
        $output | Should -BeNullOrEmpty -Because 'nothing is written without -PassThru'
        Get-ServerName $made.id | Should -BeExactly $newName
    }

    It 'renames the token given with -InputObject' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $token = Get-ApiToken -Id $made.id
        $newName = New-Name 'renamed'
        Rename-ApiToken -InputObject $token -NewName $newName
        Get-ServerName $made.id | Should -BeExactly $newName
    }

    It 'renames by -Id' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $newName = New-Name 'renamed'
        Rename-ApiToken -Id $made.id -NewName $newName
        Get-ServerName $made.id | Should -BeExactly $newName
    }

    It 'renames by an Id property of a piped object' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $newName = New-Name 'renamed'
        [pscustomobject]@{ Id = $made.id } | Rename-ApiToken -NewName $newName
        Get-ServerName $made.id | Should -BeExactly $newName
    }

    It 'renames by the Id column of Import-Csv rows' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $csv = Join-Path $TestDrive 'rename.csv'
        [pscustomobject]@{ Id = $made.id; Note = 'rotate' } | Export-Csv -Path $csv -NoTypeInformation
        $newName = New-Name 'from-csv'
        Import-Csv $csv | Rename-ApiToken -NewName $newName
        Get-ServerName $made.id | Should -BeExactly $newName
    }

    It 'renames by -Name, also positionally' {
        $old = New-Name 'old'
        $made = New-ServerToken -User $alice -Name $old
        $newName = New-Name 'new'
        Rename-ApiToken $old $newName
        Get-ServerName $made.id | Should -BeExactly $newName
    }

    It 'outputs the renamed token with -PassThru' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $newName = New-Name 'renamed'
        $output = @(Rename-ApiToken -Id $made.id -NewName $newName -PassThru)
        $output | Should -HaveCount 1
        $output[0] | Should -BeOfType ([TokenManagement.ApiToken])
        $output[0].Id | Should -Be $made.id
        $output[0].Name | Should -BeExactly $newName
        $output[0].UserId | Should -Be $alice.UserId
    }

    It 'changes nothing with -WhatIf' {
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name
        Get-ApiToken -Id $made.id | Rename-ApiToken -NewName (New-Name 'whatif') -WhatIf
        Rename-ApiToken -Id $made.id -NewName (New-Name 'whatif') -WhatIf
        Rename-ApiToken -Name $name -NewName (New-Name 'whatif') -WhatIf
        Get-ServerName $made.id | Should -BeExactly $name
    }
}

Describe 'Rename-ApiToken errors' {
    It 'writes ApiTokenNotFound with the name as target for a -Name that matches nothing' {
        Rename-ApiToken -Name 'no-such-token' -NewName (New-Name) -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-token'
    }

    It 'takes -Name literally: wildcard characters match no token' {
        $prefix = New-Name 'literal'
        $made = 1..2 | ForEach-Object { New-ServerToken -User $alice -Name "$prefix-$_" }
        Rename-ApiToken -Name "$prefix-*" -NewName (New-Name 'collapsed') -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $made | ForEach-Object { Get-ServerName $_.id | Should -BeExactly $_.name }
    }

    It 'writes ApiTokenNotFound with the id as target for an id that does not exist, and goes on with the next' {
        $made = New-ServerToken -User $alice -Name (New-Name)
        $newName = New-Name 'after-missing'
        [pscustomobject]@{ Id = 'no-such-id' }, [pscustomobject]@{ Id = $made.id } |
            Rename-ApiToken -NewName $newName -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0] | Get-ErrorTargetId | Should -BeExactly 'no-such-id'
        Get-ServerName $made.id | Should -BeExactly $newName
    }

    It 'writes ApiTokenNameConflict for a name the user already has, and changes nothing' {
        $taken = New-Name 'taken'
        New-ServerToken -User $alice -Name $taken | Out-Null
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name

        Rename-ApiToken -Id $made.id -NewName $taken.ToUpperInvariant() -ErrorVariable errs -ErrorAction SilentlyContinue

        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNameConflict,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $errs[0] | Get-ErrorTargetId | Should -Be $made.id
        Get-ServerName $made.id | Should -BeExactly $name
    }

    It 'writes InvalidApiTokenName for <Case>, and changes nothing' -ForEach @(
        @{ Case = 'a new name of 101 characters'; NewName = ('r' * 101) }
        @{ Case = 'a new name with a control character'; NewName = "bad`rname" }
    ) {
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name
        Rename-ApiToken -Id $made.id -NewName $NewName -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidApiTokenName,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-ServerName $made.id | Should -BeExactly $name
    }

    It "refuses an administrator's rename of another user's token with ApiAccessDenied" {
        $name = New-Name
        $made = New-ServerToken -User $alice -Name $name

        Rename-ApiToken -Id $made.id -NewName (New-Name 'by-admin') -Connection $adminConnection -ErrorVariable errs -ErrorAction SilentlyContinue

        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*'
        $errs[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $errs[0] | Get-ErrorTargetId | Should -Be $made.id
        Get-ServerName $made.id | Should -BeExactly $name
    }

    It "refuses an administrator's rename of another user's piped token with ApiAccessDenied" {
        $name = New-Name
        $made = New-ServerToken -User $bob -Name $name
        Get-ApiToken -AllUsers -Id $made.id -Connection $adminConnection |
            Rename-ApiToken -NewName (New-Name 'by-admin') -Connection $adminConnection -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*'
        Get-ServerName $made.id -User $bob | Should -BeExactly $name
    }

    It "does not let a user rename another user's token (ApiTokenNotFound)" {
        $name = New-Name
        $made = New-ServerToken -User $bob -Name $name
        Rename-ApiToken -Id $made.id -NewName (New-Name 'by-alice') -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        Get-ServerName $made.id -User $bob | Should -BeExactly $name
    }
}
