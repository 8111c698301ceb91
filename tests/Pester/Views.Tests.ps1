#Requires -Version 7.2
# What a user sees of tokens at the prompt (the format views), and the values an audit sorts and exports by
# (spec: docs/cmdlets.md "Types the user sees").

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 20
    $account = 'acme-views'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    # Tokens with creation and last-use dates spread over the past 400 days, a third of them never used.
    Add-TokenServerSeed -Server $server -AccountId $account -Users 3 -TokensPerUser 6
    $long = New-TestUser -Server $server -AccountId $account -UserId ('a-rather-long-user-id.' + ('x' * 30) + '@acme.example')
    foreach ($name in ('n' * 100), 'ci-pipeline-production-eu-west', "Ünïcødé-名前-$('y' * 40)") { New-ServerToken -User $long -Name $name | Out-Null }
    Connect-TestUser $admin | Out-Null
    $isoPattern = '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'

    function Get-Lines([string]$Text) { @($Text -split '\r?\n' | Where-Object { $_.Trim() }) }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'The ApiToken table at 80 columns' {
    BeforeAll {
        $tokens = @(Get-ApiToken -AllUsers)
        $renderings = @{
            Default     = $tokens | Out-String -Width 80
            FormatTable = $tokens | Format-Table | Out-String -Width 80
        }
    }

    It '<_>: no line is longer than 80 characters' -ForEach 'Default', 'FormatTable' {
        foreach ($line in Get-Lines $renderings[$_]) { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because "'$line' must not wrap" }
    }

    It '<_>: one line a token, under one header line' -ForEach 'Default', 'FormatTable' {
        $lines = Get-Lines $renderings[$_]
        $lines | Should -HaveCount ($tokens.Count + 2) -Because 'header, underline, then one line per token'
        $lines[0] -split '\s+' | Where-Object { $_ } | Should -Be @('Name', 'UserId', 'Status', 'LastUsedUtc', 'Id')
    }

    It 'shows every token''s whole Id, its status and the UTC date of its last use' {
        $lines = Get-Lines $renderings.Default
        foreach ($token in $tokens) {
            $line = @($lines | Where-Object { $_.Contains($token.Id) })
            $line | Should -HaveCount 1 -Because "the Id $($token.Id) is shown whole, once"
            $line[0] | Should -Match "\b$($token.Status)\b"
            $used = if ($token.LastUsedDate) { $token.LastUsedDate.ToString('yyyy-MM-dd') } else { 'never' }
            $line[0] | Should -Match "\b$used\b"
        }
    }

    It 'shortens a long name with an ellipsis instead of wrapping it' {
        $line = @(Get-Lines $renderings.Default | Where-Object { $_.StartsWith('nnnnn') })
        $line | Should -HaveCount 1
        $line[0] | Should -Match 'n…\s'
    }

    It 'has a list view with everything an audit needs, and no value' {
        $token = $tokens | Where-Object LastUsedDate | Select-Object -First 1
        $text = $token | Format-List | Out-String -Width 80
        foreach ($label in 'Name', 'Id', 'UserId', 'AccountId', 'Status', 'TokenPrefix', 'CreatedUtc', 'LastUsedUtc', 'Age', 'DaysSinceLastUse') {
            $text | Should -Match "(?m)^$label\s+:" -Because "the list shows $label"
        }
        $text | Should -Match ([regex]::Escape($token.CreatedUtc))
        $text | Should -Match ([regex]::Escape($token.LastUsedUtc))
        $text | Should -Not -Match 'Token \(shown once\)'
    }
}

Describe 'Age and DaysSinceLastUse' {
    BeforeAll {
        $before = [datetime]::UtcNow
        $tokens = @(Get-ApiToken -AllUsers | ForEach-Object { [pscustomobject]@{ Token = $_; Age = $_.Age; Days = $_.DaysSinceLastUse } })
        $after = [datetime]::UtcNow
        $server = @{}
        foreach ($t in Get-ServerToken -User $admin) { $server[$t.id] = $t }
    }

    It 'Age is the time since creation, from UTC now' {
        foreach ($t in $tokens) {
            $created = Get-ServerDate $server[$t.Token.Id] 'createdDate'
            $t.Age | Should -BeOfType ([timespan])
            $t.Age | Should -BeGreaterOrEqual ($before - $created)
            $t.Age | Should -BeLessOrEqual ($after - $created)
        }
    }

    It 'DaysSinceLastUse counts whole days since the last use, or since creation for a token never used' {
        $neverUsed = 0
        foreach ($t in $tokens) {
            $since = Get-ServerDate $server[$t.Token.Id] 'lastUsedDate'
            if (-not $since) { $since = Get-ServerDate $server[$t.Token.Id] 'createdDate'; $neverUsed++ }
            $t.Days | Should -BeOfType ([int])
            $t.Days | Should -BeGreaterOrEqual ([Math]::Floor(($before - $since).TotalDays))
            $t.Days | Should -BeLessOrEqual ([Math]::Floor(($after - $since).TotalDays))
        }
        $neverUsed | Should -BeGreaterThan 0 -Because 'the seed has tokens that were never used'
        @($tokens.Days | Sort-Object -Unique).Count | Should -BeGreaterThan 3 -Because 'the seed spreads the dates'
    }

    It 'sorts an audit by staleness, never-used tokens by their age' {
        $sorted = @(Get-ApiToken -AllUsers | Sort-Object DaysSinceLastUse -Descending)
        $expected = @($server.Values | Sort-Object { Get-ServerDate $_ ($_.PSObject.Properties['lastUsedDate'] ? 'lastUsedDate' : 'createdDate') })
        @($sorted.DaysSinceLastUse) | Should -Be @($sorted.DaysSinceLastUse | Sort-Object -Descending)
        $sorted[0].Id | Should -Be $expected[0].id -Because 'the stalest token comes first'
    }
}

Describe 'ISO 8601 dates for files' {
    BeforeAll {
        $culture = [cultureinfo]::CurrentCulture
        [cultureinfo]::CurrentCulture = [cultureinfo]::GetCultureInfo('de-DE')
    }

    AfterAll { [cultureinfo]::CurrentCulture = $culture }

    It 'CreatedUtc and LastUsedUtc are the UTC dates as ISO 8601 text, and the DateTime properties stay UTC' {
        foreach ($token in Get-ApiToken -AllUsers) {
            $token.CreatedDate.Kind | Should -Be ([DateTimeKind]::Utc)
            $token.CreatedUtc | Should -BeOfType ([string])
            $token.CreatedUtc | Should -MatchExactly $isoPattern
            $token.CreatedUtc | Should -BeExactly $token.CreatedDate.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [cultureinfo]::InvariantCulture)
            if ($token.LastUsedDate) { $token.LastUsedUtc | Should -BeExactly $token.LastUsedDate.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [cultureinfo]::InvariantCulture) }
            else { $token.LastUsedUtc | Should -BeNullOrEmpty }
        }
    }

    It 'Export-Csv then Import-Csv under de-DE gives the ISO 8601 text of the service' {
        $path = Join-Path $TestDrive 'audit.csv'
        # The documented audit export (Get-ApiToken help, example 3).
        Get-ApiToken -AllUsers |
            Select-Object Id, Name, UserId, Status, TokenPrefix, CreatedUtc, LastUsedUtc, DaysSinceLastUse |
            Export-Csv -Path $path -NoTypeInformation
        $rows = @(Import-Csv -Path $path)
        $byId = @{}
        foreach ($t in Get-ServerToken -User $admin) { $byId[$t.id] = $t }
        $rows | Should -HaveCount $byId.Count
        foreach ($row in $rows) {
            $row.CreatedUtc | Should -MatchExactly $isoPattern
            [datetimeoffset]::Parse($row.CreatedUtc, [cultureinfo]::InvariantCulture).UtcDateTime | Should -Be (Get-ServerDate $byId[$row.Id] 'createdDate')
            $used = Get-ServerDate $byId[$row.Id] 'lastUsedDate'
            if ($used) { $row.LastUsedUtc | Should -MatchExactly $isoPattern; [datetimeoffset]::Parse($row.LastUsedUtc, [cultureinfo]::InvariantCulture).UtcDateTime | Should -Be $used }
            else { $row.LastUsedUtc | Should -BeExactly '' }
        }
    }
}

Describe 'A new token at the prompt' {
    BeforeAll {
        function Get-Value($Created) { if ($Created.Token -is [securestring]) { ConvertTo-PlainText $Created.Token } else { "$($Created.Token)" } }
    }

    It 'the default view shows the value once, labelled, with the token''s details' {
        $created = New-ApiToken -Name 'view-default' -WarningAction SilentlyContinue
        $value = Get-Value $created
        $created.Token | Should -BeOfType ([securestring]) -Because 'the object keeps the SecureString'
        $text = $created | Out-String -Width 80
        ([regex]::Matches($text, [regex]::Escape($value))).Count | Should -Be 1
        $text | Should -Match "Token \(shown once\)\s*:\s*$([regex]::Escape($value))"
        $text | Should -Match ([regex]::Escape($created.Id))
        $text | Should -Match 'view-default'
        foreach ($line in Get-Lines $text) { $line.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $created.Token | Should -BeOfType ([securestring]) -Because 'displaying it does not change the object'
    }

    It 'Format-List and Format-Table of a new token show the value; Format-List * shows only the SecureString' {
        $created = New-ApiToken -Name 'view-formats' -WarningAction SilentlyContinue
        $value = Get-Value $created
        ([regex]::Matches(($created | Format-List | Out-String -Width 80), [regex]::Escape($value))).Count | Should -Be 1
        $table = $created | Format-Table | Out-String -Width 80
        ([regex]::Matches($table, [regex]::Escape($value))).Count | Should -Be 1
        foreach ($line in Get-Lines $table) { $line.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $created | Format-List * -Force | Out-String -Width 4096 | Should -Not -Match ([regex]::Escape($value))
    }

    It 'with -AsPlainText the value is a string, shown the same way' {
        $created = New-ApiToken -Name 'view-plain' -AsPlainText -WarningAction SilentlyContinue
        $created.Token | Should -BeOfType ([string])
        ([regex]::Matches(($created | Out-String -Width 80), [regex]::Escape($created.Token))).Count | Should -Be 1
    }

    It 'a captured or piped-on new token writes only the object, and nothing to the host' {
        $transcript = Join-Path $TestDrive 'transcript.txt'
        Start-Transcript -Path $transcript -UseMinimalHeader | Out-Null
        try {
            $records = @(New-ApiToken -Name 'view-captured' *>&1)
            $names = @(New-ApiToken -Name 'view-piped' -WarningAction SilentlyContinue | Select-Object Name)
            New-ApiToken -Name 'view-shown' -WarningAction SilentlyContinue | Out-Default
        }
        finally { Stop-Transcript | Out-Null }
        $created = @($records | Where-Object { $_ -is [TokenManagement.CreatedApiToken] })
        $created | Should -HaveCount 1
        $others = @($records | Where-Object { $_ -isnot [TokenManagement.CreatedApiToken] })
        $others | ForEach-Object { $_ | Should -BeOfType ([System.Management.Automation.WarningRecord]) }
        $value = Get-Value $created[0]
        (Get-StreamText $others) | Should -Not -Match ([regex]::Escape($value))
        $names.Name | Should -Be 'view-piped'
        $shown = Get-ApiToken -Name 'view-shown'
        $text = Get-Content -Raw $transcript
        $text | Should -Not -Match ([regex]::Escape($value)) -Because 'the captured value was never displayed'
        $text | Should -Match ([regex]::Escape($shown.Id)) -Because 'the displayed token is in the transcript'
        $text | Should -Match 'Token \(shown once\)' -Because 'a transcript records what is displayed, the value too'
    }

    It 'an ApiToken from Get-ApiToken never shows a value, in any view' {
        $created = New-ApiToken -Name 'view-read-back' -WarningAction SilentlyContinue
        $value = Get-Value $created
        $token = Get-ApiToken -Id $created.Id
        $token | Should -Not -BeOfType ([TokenManagement.CreatedApiToken])
        foreach ($text in ($token | Out-String -Width 200), ($token | Format-List | Out-String -Width 200),
            ($token | Format-Table | Out-String -Width 200), ($token | Format-List * -Force | Out-String -Width 200)) {
            $text | Should -Not -Match ([regex]::Escape($value))
            $text | Should -Not -Match 'shown once'
        }
    }
}
