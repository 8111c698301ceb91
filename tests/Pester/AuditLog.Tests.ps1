#Requires -Version 7.2
# Get-AtomSphereAuditLog and Get-ApiToken -TokenPrefix (spec: docs/cmdlets.md; contract: docs/api.md, The AuditLog
# object) against the real server: the entry of every action, who sees which, filters and paging, no value anywhere.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 50
    $account = 'acme-audit'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'
    $adminConnection = Connect-TestUser $admin
    $bobConnection = Connect-TestUser $bob
    $aliceConnection = Connect-TestUser $alice   # the default
    # Every token value this suite sees, to look for in the audit data.
    $values = [Collections.Generic.List[string]]::new()
    $values.AddRange([string[]]@($admin.Token, $alice.Token, $bob.Token))

    function New-Name([string]$Prefix = 'au') { "$Prefix-$([Guid]::NewGuid().ToString('n').Substring(0, 8))" }
    function New-Token($User = $alice, [string]$Name = (New-Name)) {
        $made = New-ServerToken -User $User -Name $Name
        $values.Add([string]$made.token)
        $made
    }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'The audit entry of each action' {
    It 'New-, Rename-, Disable-, Enable- and Remove-ApiToken each write one entry of the owner, in order' {
        $name = New-Name
        $created = New-ApiToken -Name $name -AsPlainText 3>$null
        $values.Add([string]$created.Token)
        Rename-ApiToken -Name $name -NewName "$name-2"
        Disable-ApiToken -Name "$name-2" -Confirm:$false 6>$null
        Enable-ApiToken -Name "$name-2" -Confirm:$false 6>$null
        Remove-ApiToken -Name "$name-2" -Confirm:$false 6>$null

        $entries = @(Get-AtomSphereAuditLog -TokenId $created.Id)

        $entries.Action | Should -Be @('Create', 'Rename', 'Disable', 'Enable', 'Revoke')
        foreach ($entry in $entries) {
            $entry | Should -BeOfType ([TokenManagement.AuditLogEntry])
            $entry.UserId | Should -Be $alice.UserId
            $entry.OwnerUserId | Should -Be $alice.UserId
            $entry.Level | Should -Be ([TokenManagement.AuditLogLevel]::User)
            $entry.Outcome | Should -Be ([TokenManagement.AuditLogOutcome]::Success)
            $entry.Source | Should -Be 'API'
            $entry.TokenPrefix | Should -BeExactly $created.TokenPrefix
            $entry.AccountId | Should -Be $account
            $entry.Date.Kind | Should -Be ([DateTimeKind]::Utc)
        }
        $entries.TokenName | Should -Be @($name, $name, "$name-2", "$name-2", "$name-2")
        $entries[1].NewTokenName | Should -BeExactly "$name-2"
        @($entries | Where-Object Action -NE 'Rename' | Where-Object NewTokenName) | Should -BeNullOrEmpty
    }

    It 'a bulk Remove-ApiToken writes one entry per token' {
        $prefix = New-Name 'bulk'
        $made = @(1..3 | ForEach-Object { New-Token -Name "$prefix-$_" })

        Get-ApiToken -Name "$prefix-*" | Remove-ApiToken -Confirm:$false 6>$null

        $revokes = @(Get-AtomSphereAuditLog -Action Revoke -TokenId $made.id)
        @($revokes.TokenId | Sort-Object) | Should -Be @($made.id | Sort-Object)
        $revokes.Level | Sort-Object -Unique | Should -Be 'User'
        $revokes.Outcome | Sort-Object -Unique | Should -Be 'Success'
    }

    It 'an administrator acting on another user''s token writes Administrator entries, a refused rename included' {
        $made = New-Token
        Disable-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false 6>$null
        Enable-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false 6>$null
        Rename-ApiToken -Id $made.id -NewName 'taken-over' -Connection $adminConnection -ErrorAction SilentlyContinue -ErrorVariable refused
        Remove-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false 6>$null

        ($refused[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'ApiAccessDenied'
        # The owner sees what the administrator did to her token.
        $entries = @(Get-AtomSphereAuditLog -TokenId $made.id)
        $entries.Action | Should -Be @('Create', 'Disable', 'Enable', 'Rename', 'Revoke')
        $entries[0].Level | Should -Be 'User'
        foreach ($entry in $entries[1..4]) {
            $entry.UserId | Should -Be $admin.UserId
            $entry.OwnerUserId | Should -Be $alice.UserId
            $entry.Level | Should -Be 'Administrator'
        }
        $entries.Outcome | Should -Be @('Success', 'Success', 'Success', 'Forbidden', 'Success')
        $entries[3].NewTokenName | Should -BeExactly 'taken-over'
    }

    It 'a rename to a name the owner already has is recorded as NameConflict' {
        $taken = New-Token
        $made = New-Token
        Rename-ApiToken -Id $made.id -NewName $taken.name -ErrorAction SilentlyContinue -ErrorVariable refused

        ($refused[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'ApiTokenNameConflict'
        $last = @(Get-AtomSphereAuditLog -TokenId $made.id)[-1]
        $last.Action | Should -Be 'Rename'
        $last.Outcome | Should -Be ([TokenManagement.AuditLogOutcome]::NameConflict)
        (Get-ServerToken -User $alice -Id $made.id).name | Should -BeExactly $made.name
    }
}

Describe 'The audit entries of a rotation' {
    It 'records each of Invoke-ApiTokenRotation''s steps as the action it is, on the old token and on the replacement' {
        $name = New-Name 'rot'
        $old = New-Token -User $alice -Name $name
        $stored = @{}
        Invoke-ApiTokenRotation -Id $old.id -Store { param($new) $stored.Token = $new.Token }.GetNewClosure() -Confirm:$false 6>$null 3>$null
        $replacement = @(Get-ApiToken -Name $name)
        $replacement | Should -HaveCount 1
        $values.Add((ConvertTo-PlainText $stored.Token))

        @(Get-AtomSphereAuditLog -TokenId $old.id).Action | Should -Be @('Create', 'Disable', 'Revoke')
        $steps = @(Get-AtomSphereAuditLog -TokenId $replacement[0].Id)
        $steps.Action | Should -Be @('Create', 'Rename')
        $steps[1].NewTokenName | Should -BeExactly $name
        @($steps.Outcome | Sort-Object -Unique) | Should -Be @([TokenManagement.AuditLogOutcome]::Success)
        @($steps.UserId | Sort-Object -Unique) | Should -Be @($alice.UserId)
    }
}

Describe 'Who sees which entries' {
    It 'a user sees only the entries they acted in or about their own tokens; an administrator sees the account' {
        $alices = New-Token
        $bobs = New-Token -User $bob
        Disable-ApiToken -Id $bobs.id -Connection $adminConnection -Confirm:$false 6>$null

        $bobSees = @(Get-AtomSphereAuditLog -Connection $bobConnection)
        $bobSees | Should -Not -BeNullOrEmpty
        foreach ($entry in $bobSees) { $bob.UserId | Should -BeIn @($entry.UserId, $entry.OwnerUserId) }
        $bobSees.TokenId | Should -Contain $bobs.id
        $bobSees.TokenId | Should -Not -Contain $alices.id
        # What the administrator did to bob's token is among bob's entries.
        @($bobSees | Where-Object { $_.TokenId -eq $bobs.id -and $_.Action -eq 'Disable' }).UserId | Should -Be $admin.UserId

        $adminSees = @(Get-AtomSphereAuditLog -Connection $adminConnection -TokenId $alices.id, $bobs.id)
        $adminSees.TokenId | Should -Contain $alices.id
        $adminSees.TokenId | Should -Contain $bobs.id
        @(Get-AtomSphereAuditLog -Connection $bobConnection -TokenId $alices.id) | Should -BeNullOrEmpty
    }
}

Describe 'Filters and paging' {
    BeforeAll {
        # carol's 60 creates and 60 revokes: 120 entries, more than one page of the service's 100.
        $carol = New-TestUser -Server $server -AccountId $account -UserId 'carol@acme.example'
        foreach ($i in 1..60) {
            $made = New-Token -User $carol -Name ('carol-{0:D3}' -f $i)
            Remove-ServerToken -User $carol -Id $made.id
        }
        $carolsEntries = @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId)
    }

    It 'pages through more than 100 entries, oldest first, each once' {
        $carolsEntries.Count | Should -Be 120
        @($carolsEntries.Id | Sort-Object -Unique).Count | Should -Be 120
        $dates = @($carolsEntries.Date)
        $dates | Should -Be @($dates | Sort-Object)
        @($carolsEntries | Where-Object Action -EQ 'Create').TokenName | Should -Be @(1..60 | ForEach-Object { 'carol-{0:D3}' -f $_ })
    }

    It 'supports -First, -Skip and -IncludeTotalCount across the page boundary' {
        $window = @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -Skip 98 -First 4)
        $window.Id | Should -Be @($carolsEntries[98..101].Id)
        $counted = @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -IncludeTotalCount -First 1)
        $counted[0] | Should -BeOfType ([uint64])
        $counted[0] | Should -Be 120
        $counted[1].Id | Should -Be $carolsEntries[0].Id
    }

    It '-UserId is the acting user, with wildcards' {
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId 'CAROL@acme.example').Count | Should -Be 120
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId 'car*').Count | Should -Be 120
        $byAdmin = @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $admin.UserId)
        $byAdmin | Should -Not -BeNullOrEmpty
        $byAdmin.UserId | Sort-Object -Unique | Should -Be $admin.UserId
    }

    It '-Action takes several actions, is validated at binding and completes with Tab' {
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -Action Revoke).Count | Should -Be 60
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -Action Create, Revoke).Count | Should -Be 120
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -Action Rename) | Should -BeNullOrEmpty
        { Get-AtomSphereAuditLog -Action Delete -ErrorAction Stop } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,*'
        $typed = 'Get-AtomSphereAuditLog -Action Re'
        $completions = (TabExpansion2 -inputScript $typed -cursorColumn $typed.Length).CompletionMatches.CompletionText
        $completions | Should -Contain 'Rename'
        $completions | Should -Contain 'Revoke'
    }

    It '-After and -Before are inclusive, and a date without a kind is local time' {
        $entry = $carolsEntries[50]
        $at = $entry.Date
        $same = @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -After $at -Before $at)
        $same.Id | Should -Contain $entry.Id
        @($same | Where-Object { $_.Date -ne $at }) | Should -BeNullOrEmpty
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -After $at.AddSeconds(1)).Id | Should -Not -Contain $entry.Id
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -Before $at.AddSeconds(-1)).Id | Should -Not -Contain $entry.Id

        $unspecified = [datetime]::SpecifyKind($at.ToLocalTime(), [DateTimeKind]::Unspecified)
        @(Get-AtomSphereAuditLog -Connection $adminConnection -UserId $carol.UserId -After $unspecified -Before $unspecified).Id | Should -Be @($same.Id)
    }
}

Describe 'Views' {
    It 'the table fits 80 columns and the list shows every property' {
        $entries = @(Get-AtomSphereAuditLog -Connection $adminConnection -First 20)
        $table = $entries | Format-Table | Out-String -Width 300
        $lines = @($table -split "`r?`n" | Where-Object { $_.Trim() })
        $lines.Count | Should -BeGreaterThan 2
        foreach ($line in $lines) { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because $line }
        $lines[0] | Should -Match '^Date\s+Action\s+TokenName\s+UserId\s+Outcome$'

        $list = $entries[0] | Format-List | Out-String -Width 300
        foreach ($property in [TokenManagement.AuditLogEntry].GetProperties().Name) { $list | Should -Match "(?m)^$property\s*:" }
    }
}

Describe 'Get-ApiToken -TokenPrefix' {
    It 'finds the token from the first 6 characters of its value, with the other filters' {
        $made = New-Token -User $bob
        $found = @(Get-ApiToken -AllUsers -TokenPrefix $made.tokenPrefix -Connection $adminConnection)
        $found.Id | Should -Be $made.id
        @(Get-ApiToken -AllUsers -TokenPrefix $made.tokenPrefix -Status Disabled -Connection $adminConnection) | Should -BeNullOrEmpty
        @(Get-ApiToken -AllUsers -TokenPrefix $made.tokenPrefix, ([string]$values[0]).Substring(0, 6) -Connection $adminConnection).Id | Should -Contain $made.id
        # Without -AllUsers (and without Account Administration) only one's own tokens.
        @(Get-ApiToken -TokenPrefix $made.tokenPrefix) | Should -BeNullOrEmpty
    }

    It 'goes from a leaked fragment to the token and then its history' {
        $made = New-Token -User $bob
        Disable-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false 6>$null

        $history = @(Get-ApiToken -AllUsers -TokenPrefix $made.tokenPrefix -Connection $adminConnection | Get-AtomSphereAuditLog -Connection $adminConnection)

        $history.TokenId | Sort-Object -Unique | Should -Be $made.id
        $history.Action | Should -Be @('Create', 'Disable')
        $history[1].UserId | Should -Be $admin.UserId
    }

    It 'goes from a leaked fragment to the history of a token already revoked (Get-AtomSphereAuditLog -TokenPrefix)' {
        $made = New-Token -User $bob
        Remove-ApiToken -Id $made.id -Connection $adminConnection -Confirm:$false 6>$null
        @(Get-ApiToken -AllUsers -TokenPrefix $made.tokenPrefix -Connection $adminConnection) | Should -BeNullOrEmpty

        $history = @(Get-AtomSphereAuditLog -TokenPrefix $made.tokenPrefix -Connection $adminConnection)

        $history.TokenId | Sort-Object -Unique | Should -Be $made.id
        $history.Action | Should -Be @('Create', 'Revoke')
        { Get-AtomSphereAuditLog -TokenPrefix 'ABC123' -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'refuses at binding what cannot be a prefix: <Value>' -ForEach @(
        @{ Value = 'ABC123' }, @{ Value = '12345' }, @{ Value = '123aab4' }, @{ Value = 'g23aab' }, @{ Value = '123-ab' }
    ) {
        { Get-ApiToken -TokenPrefix $Value -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }
}

Describe 'No token value in the audit data' {
    It 'no entry, in any form a user can get, holds a value' {
        $values.Count | Should -BeGreaterThan 60
        $entries = @(Get-AtomSphereAuditLog -Connection $adminConnection)
        $entries.Count | Should -BeGreaterThan 120
        $texts = @(
            $entries | ConvertTo-Json -Depth 5
            $entries | Format-List | Out-String -Width 300
            $entries | Format-Table | Out-String -Width 300
            $entries | ConvertTo-Csv -NoTypeInformation | Out-String
            Get-AtomSphereAuditLog -Connection $adminConnection -Verbose 4>&1 | Out-String -Width 300
        )
        foreach ($value in $values) {
            foreach ($text in $texts) {
                $text.Contains($value) | Should -BeFalse
                $text.Contains($value.Replace('-', '')) | Should -BeFalse
            }
        }
        # The prefix is no secret, and the entries carry it.
        $texts[0] | Should -Match ([regex]::Escape($entries[0].TokenPrefix))
    }
}
