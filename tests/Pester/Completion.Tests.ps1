#Requires -Version 7.2
# Tab completion of -Name, -UserId and -Id (issue 11), through TabExpansion2 against the real server: whose names
# with -AllUsers and -UserId, through the -Connection on the command line, and never a frozen prompt.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 20 -FaultAdmin
    $account = 'acme-complete'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin -TokenName 'admin-console'
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example' -TokenName 'alice-laptop'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example' -TokenName 'bob-laptop'
    Add-TokenServerSeed -Server $server -AccountId $account -Users 3 -TokensPerUser 2
    $made = @{}
    $made['bob spaced'] = New-ServerToken -User $bob -Name 'bob spaced name'
    $made['bob-ci'] = New-ServerToken -User $bob -Name 'bob-ci'
    $made['alice-ci'] = New-ServerToken -User $alice -Name 'alice-ci'

    # Global: TabExpansion2 evaluates the -Connection argument on the line ($bobConnection) in the caller's scopes.
    $global:bobConnection = Connect-TestUser $bob
    $global:aliceConnection = Connect-TestUser $alice
    $global:adminConnection = Connect-TestUser $admin   # the default
    # Completions expected from a live service must not depend on whether this machine answers within 1.5 s.
    Set-ModuleTimeSetting CompletionDeadline ([TimeSpan]::FromSeconds(60))

    function Get-Completion([string]$Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches)
    }
    function Get-CompletionText([string]$Line) {
        @(Get-Completion $Line | ForEach-Object { $_.CompletionText.Trim("'", '"') })
    }
}

AfterAll {
    Set-ModuleTimeSetting CompletionDeadline -Default
    Disconnect-AllTestConnections
    Remove-Variable -Scope Global -Name bobConnection, aliceConnection, adminConnection, deadConnection, slowConnection -ErrorAction SilentlyContinue
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Completing -Name' {
    It 'completes the caller''s own names without -AllUsers' {
        $names = Get-CompletionText 'Get-ApiToken -Name '
        $names | Should -Contain 'admin-console'
        $names | Should -Not -Contain 'bob-ci'
        $names | Should -Not -Contain 'seed-001'
    }

    It 'completes other users'' names with -AllUsers (<Command>)' -TestCases @(
        @{ Command = 'Get-ApiToken -AllUsers -Name se' }
        @{ Command = 'Get-ApiToken -Name se -AllUsers' }
    ) {
        $line = $Command
        $column = $line.IndexOf(' se') + 3
        $names = @((TabExpansion2 -inputScript $line -cursorColumn $column).CompletionMatches.CompletionText)
        $names | Should -Contain 'seed-001'
        $names | Should -Contain 'seed-002'
        ($names | Sort-Object -Unique).Count | Should -Be $names.Count -Because 'a name held by several users is offered once'
    }

    It 'completes the names of the -UserId user' {
        $names = Get-CompletionText 'Get-ApiToken -UserId bob@acme.example -Name '
        $names | Should -Contain 'bob-ci'
        $names | Should -Contain 'bob spaced name'
        $names | Should -Not -Contain 'admin-console'
        $names | Should -Not -Contain 'alice-ci'
    }

    It 'quotes a name with a space, and says name, user and status in the tooltip' {
        $match = @(Get-Completion 'Get-ApiToken -UserId bob@acme.example -Name bob' | Where-Object ListItemText -EQ 'bob spaced name')
        $match | Should -HaveCount 1
        $match[0].CompletionText | Should -BeExactly "'bob spaced name'"
        $match[0].ToolTip | Should -BeLike '*bob spaced name*bob@acme.example*Enabled*'
    }

    It 'escapes wildcard characters in a completed name of a wildcard parameter' {
        $odd = New-ServerToken -User $admin -Name 'odd[1]'
        try {
            $match = @(Get-Completion 'Get-ApiToken -Name odd' | Where-Object ListItemText -EQ 'odd[1]')
            $match | Should -HaveCount 1
            $match[0].CompletionText | Should -BeExactly "'odd``[1``]'"
            @(Get-ApiToken -Name ([scriptblock]::Create($match[0].CompletionText).Invoke()[0])).Id | Should -Be $odd.id
        }
        finally { Remove-ServerToken -User $admin -Id $odd.id }
    }

    It 'goes through the -Connection on the command line' {
        $names = Get-CompletionText 'Get-ApiToken -Connection $bobConnection -Name '
        $names | Should -Contain 'bob-ci'
        $names | Should -Not -Contain 'admin-console'

        $names = Get-CompletionText 'Remove-ApiToken -Connection $aliceConnection -Name '
        $names | Should -Contain 'alice-ci'
        $names | Should -Not -Contain 'bob-ci'
    }

    It 'completes -Name of Rename-, Enable-, Disable-, Remove-ApiToken and Invoke-ApiTokenRotation with the caller''s own names (<Command>)' -TestCases @(
        @{ Command = 'Rename-ApiToken' }, @{ Command = 'Enable-ApiToken' }, @{ Command = 'Disable-ApiToken' }, @{ Command = 'Remove-ApiToken' }, @{ Command = 'Invoke-ApiTokenRotation' }
    ) {
        $names = Get-CompletionText "$Command -Connection `$bobConnection -Name bob-"
        $names | Should -Contain 'bob-ci'
        $names | Should -Contain 'bob-laptop'
    }
}

Describe 'Completing -UserId' {
    It 'completes user ids for an administrator' {
        $users = Get-CompletionText 'Get-ApiToken -UserId '
        $users | Should -Contain 'alice@acme.example'
        $users | Should -Contain 'bob@acme.example'
        $users | Should -Contain "user00001@$account.example"
        ($users | Sort-Object -Unique).Count | Should -Be $users.Count
    }

    It 'completes user ids starting with the typed word' {
        $users = Get-CompletionText 'Get-ApiToken -UserId bo'
        $users | Should -Be @('bob@acme.example')
    }

    It 'completes only the caller''s own id through a non-administrator''s -Connection' {
        $users = Get-CompletionText 'Get-ApiToken -Connection $aliceConnection -UserId '
        $users | Should -Be @('alice@acme.example')
    }
}

Describe 'Completing -Id' {
    It 'completes ids of any token the caller may see, with the name in the list, on <Command>' -TestCases @(
        @{ Command = 'Get-ApiToken' }, @{ Command = 'Rename-ApiToken' }, @{ Command = 'Enable-ApiToken' }, @{ Command = 'Disable-ApiToken' }, @{ Command = 'Remove-ApiToken' }
        @{ Command = 'Invoke-ApiTokenRotation' }
    ) {
        $id = $made['bob-ci'].id
        $matches = @(Get-Completion "$Command -Id $($id.Substring(0, 6))")
        $matches.CompletionText | Should -Contain $id
        ($matches | Where-Object CompletionText -EQ $id).ToolTip | Should -BeLike '*bob-ci*bob@acme.example*'
    }

    It 'completes only the ids the -Connection on the line can see' {
        $bobIds = @(Get-CompletionText 'Get-ApiToken -Connection $bobConnection -Id ')
        $bobIds | Should -Contain $made['bob-ci'].id
        $bobIds | Should -Not -Contain $made['alice-ci'].id
    }
}

Describe 'Completion never freezes the prompt' {
    BeforeAll {
        Set-ModuleTimeSetting CompletionDeadline -Default
        $dead = Start-TokenServer
        try {
            $deadAdmin = New-TestUser -Server $dead -AccountId 'acme-dead' -UserId 'admin@acme.example' -Admin
            $global:deadConnection = Connect-TestUser $deadAdmin
            Select-AtomSphereConnection -Connection $adminConnection
        }
        finally { $dead | Stop-TokenServer }
    }

    It 'returns, without an error, for a connection whose server was stopped (<Line>)' -TestCases @(
        @{ Line = 'Get-ApiToken -Connection $deadConnection -Name ' }
        @{ Line = 'Get-ApiToken -Connection $deadConnection -AllUsers -Name ' }
        @{ Line = 'Get-ApiToken -Connection $deadConnection -UserId ' }
        @{ Line = 'Remove-ApiToken -Connection $deadConnection -Id ' }
    ) {
        $Error.Clear()
        $elapsed = Measure-Command { $script:result = @(Get-Completion $Line) }
        $elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'a hang guard: completion has a short deadline'
        @($script:result | Where-Object { $_.ResultType -eq 'ParameterValue' }) | Should -BeNullOrEmpty
        $Error | Should -BeNullOrEmpty
    }

    It 'returns, without an error, while the service delays every query (<Line>)' -TestCases @(
        @{ Line = 'Get-ApiToken -AllUsers -Name ' }
        @{ Line = 'Get-ApiToken -UserId ' }
        @{ Line = 'Disable-ApiToken -Id ' }
    ) {
        $plan = @{ faults = @(@{ method = 'POST'; path = '*/ApiToken/query*'; times = 100; fault = 'delay'; delayMs = 30000 }) } | ConvertTo-Json -Depth 5
        Invoke-RestMethod -Method Put -Uri "$($server.Uri)/_faults" -ContentType 'application/json' -Body $plan | Out-Null
        try {
            $Error.Clear()
            $elapsed = Measure-Command { $script:result = @(Get-Completion $Line) }
            $elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'a hang guard: completion has a short deadline'
            $Error | Should -BeNullOrEmpty
        }
        finally { Invoke-RestMethod -Method Delete -Uri "$($server.Uri)/_faults" | Out-Null }
    }
}
