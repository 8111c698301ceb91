#Requires -Version 7.2
# Get-ApiToken (spec: docs/cmdlets.md). Server state is read with the direct API helpers of TestHelpers.psm1.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 20
    $account = 'acme-get'
    $admin = New-TestUser -Server $server -AccountId $account -UserId 'admin@acme.example' -Admin
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $bob = New-TestUser -Server $server -AccountId $account -UserId 'bob@acme.example'

    $made = @{}
    foreach ($name in 'ci-pipeline', 'ci-nightly', 'laptop', 'under_score', 'underXscore') { $made[$name] = New-ServerToken -User $alice -Name $name }
    foreach ($name in 'ci-bob', 'bob-old') { $made[$name] = New-ServerToken -User $bob -Name $name }
    Set-ServerToken -User $alice -Id $made['laptop'].id -Status DISABLED | Out-Null
    # Creation dates are whole seconds: a pause of more than 2 s puts the next tokens at least 2 s later,
    # so that a cut-off 1 s after the early group separates the groups whether 'after' is > or >=.
    $earlyLatest = (@(Get-ServerToken -User $admin) | ForEach-Object { Get-ServerDate $_ 'createdDate' } | Sort-Object | Select-Object -Last 1)
    Start-Sleep -Milliseconds 2200
    $made['deploy-prod'] = New-ServerToken -User $alice -Name 'deploy-prod'
    $made['late-bob'] = New-ServerToken -User $bob -Name 'late-bob'
    $cut = [datetime]::SpecifyKind($earlyLatest.AddSeconds(1), [DateTimeKind]::Utc)
    # deploy-prod is used once, so it has a LastUsedDate; ci-nightly never is.
    if ((Get-AuthenticationStatus -User $alice -Token $made['deploy-prod'].token) -ne 200) { throw 'deploy-prod does not authenticate.' }

    # Connections: alice's is the default (connected last).
    $bobConnection = Connect-TestUser $bob
    $adminConnection = Connect-TestUser $admin
    $aliceConnection = Connect-TestUser $alice

    function Get-ServerNames([object[]]$Tokens) { @($Tokens | ForEach-Object name | Sort-Object) }
    function Get-Names([object[]]$Tokens) { @($Tokens | ForEach-Object Name | Sort-Object) }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Get-ApiToken: whose tokens' {
    It "returns the caller's own tokens as TokenManagement.ApiToken objects" {
        $tokens = @(Get-ApiToken)
        $expected = @(Get-ServerToken -User $alice)

        $tokens | ForEach-Object { $_ | Should -BeOfType ([TokenManagement.ApiToken]) }
        Get-Names $tokens | Should -Be (Get-ServerNames $expected)
        $tokens.UserId | Sort-Object -Unique | Should -Be $alice.UserId
        ($tokens.Id | Sort-Object -Unique).Count | Should -Be $tokens.Count
    }

    It 'maps every field of the token from the service' {
        $fromServer = Get-ServerToken -User $alice -Id $made['laptop'].id
        $token = @(Get-ApiToken -Id $made['laptop'].id)
        $token | Should -HaveCount 1
        $token = $token[0]

        $token.Id | Should -BeExactly $fromServer.id
        $token.Name | Should -BeExactly 'laptop'
        $token.UserId | Should -Be $alice.UserId
        $token.AccountId | Should -Be $account
        $token.TokenPrefix | Should -BeExactly $made['laptop'].token.Substring(0, 6)
        $token.Status | Should -BeOfType ([TokenManagement.ApiTokenStatus])
        $token.Status | Should -Be ([TokenManagement.ApiTokenStatus]::Disabled)
        $token.CreatedDate | Should -BeOfType ([datetime])
        $token.CreatedDate.Kind | Should -Be ([DateTimeKind]::Utc)
        $token.CreatedDate | Should -Be (Get-ServerDate $fromServer 'createdDate')
        $token.LastUsedDate | Should -BeNullOrEmpty
        $token.ToString() | Should -BeExactly 'laptop'
    }

    It 'maps LastUsedDate of a used token as UTC' {
        $token = Get-ApiToken -Id $made['deploy-prod'].id
        $fromServer = Get-ServerDate (Get-ServerToken -User $alice -Id $made['deploy-prod'].id) 'lastUsedDate'
        $fromServer | Should -Not -BeNullOrEmpty -Because 'the service records the first use of a token'
        $token.LastUsedDate | Should -Be $fromServer
        $token.LastUsedDate.Kind | Should -Be ([DateTimeKind]::Utc)
    }

    It 'shows an administrator only their own tokens without -AllUsers' {
        $tokens = @(Get-ApiToken -Connection $adminConnection)
        $tokens | Should -Not -BeNullOrEmpty
        $tokens.UserId | Sort-Object -Unique | Should -Be $admin.UserId
    }

    It "shows an administrator every user's tokens with -AllUsers" {
        $tokens = @(Get-ApiToken -AllUsers -Connection $adminConnection)
        $expected = @(Get-ServerToken -User $admin)
        $expected.Count | Should -Be 12   # 3 bootstrap tokens + 6 of alice's + 3 of bob's

        @($tokens.Id | Sort-Object) | Should -Be @($expected.id | Sort-Object)
        $tokens.UserId | Sort-Object -Unique | Should -Be @($admin.UserId, $alice.UserId, $bob.UserId | Sort-Object)
    }

    It 'filters by -UserId with wildcards for an administrator' {
        $bobs = @(Get-ApiToken -UserId 'bob@acme.example' -Connection $adminConnection)
        Get-Names $bobs | Should -Be (Get-ServerNames (Get-ServerToken -User $bob))

        Get-Names (Get-ApiToken -UserId 'BOB*' -Connection $adminConnection) | Should -Be (Get-Names $bobs)

        $two = @(Get-ApiToken -UserId 'alice*', 'bob*' -Connection $adminConnection)
        $two.UserId | Sort-Object -Unique | Should -Be @($alice.UserId, $bob.UserId)
        $two.Count | Should -Be 11
    }

    It "never shows a non-administrator another user's tokens with -AllUsers (own tokens only, or ApiAccessDenied)" {
        $caught = $null
        $output = @()
        try { $output = @(Get-ApiToken -AllUsers -Connection $aliceConnection -ErrorVariable errs -ErrorAction SilentlyContinue) }
        catch { $caught = $_ }
        $errors = @(@($errs) + @($caught) | Where-Object { $_ })

        @($output | Where-Object UserId -NE $alice.UserId) | Should -BeNullOrEmpty
        if ($errors.Count -gt 0) {
            $errors | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*' }
        }
        else {
            Get-Names $output | Should -Be (Get-ServerNames (Get-ServerToken -User $alice))
        }
    }
}

Describe 'Get-ApiToken -UserId for a non-administrator' {
    It "never shows another user's tokens (nothing, or ApiAccessDenied)" {
        $caught = $null
        $output = @()
        try { $output = @(Get-ApiToken -UserId $bob.UserId -Connection $aliceConnection -ErrorVariable errs -ErrorAction SilentlyContinue) }
        catch { $caught = $_ }
        @($output | Where-Object UserId -NE $alice.UserId) | Should -BeNullOrEmpty
        @(@($errs) + @($caught) | Where-Object { $_ }) | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'ApiAccessDenied,*' }
    }
}

Describe 'Get-ApiToken -Name' {
    It 'matches wildcards against the caller''s own token names' {
        Get-Names (Get-ApiToken -Name 'ci-*') | Should -Be @('ci-nightly', 'ci-pipeline')
        Get-Names (Get-ApiToken -Name '*-prod') | Should -Be @('deploy-prod')
        Get-Names (Get-ApiToken -Name 'ci-?ightly') | Should -Be @('ci-nightly')
    }

    It 'compares names case-insensitively' {
        Get-Names (Get-ApiToken -Name 'CI-*') | Should -Be @('ci-nightly', 'ci-pipeline')
        Get-Names (Get-ApiToken -Name 'LAPTOP') | Should -Be @('laptop')
    }

    It 'takes the name positionally and several names at once' {
        Get-Names (Get-ApiToken 'laptop') | Should -Be @('laptop')
        Get-Names (Get-ApiToken -Name 'laptop', 'ci-pipeline') | Should -Be @('ci-pipeline', 'laptop')
    }

    It 'treats _ and % in a literal name as ordinary characters' {
        Get-Names (Get-ApiToken -Name 'under_score') | Should -Be @('under_score')
    }

    It 'writes a non-terminating ApiTokenNotFound with the name as target for a literal name that matches nothing' {
        $output = @(Get-ApiToken -Name 'no-such-token' -ErrorVariable errs -ErrorAction SilentlyContinue)
        $output | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].TargetObject | Should -BeExactly 'no-such-token'
    }

    It 'still returns the names that match when one literal name does not' {
        $output = @(Get-ApiToken -Name 'laptop', 'no-such-token', 'ci-*' -ErrorVariable errs -ErrorAction SilentlyContinue)
        Get-Names $output | Should -Be @('ci-nightly', 'ci-pipeline', 'laptop')
        $errs | Should -HaveCount 1
        $errs[0].TargetObject | Should -BeExactly 'no-such-token'
    }

    It 'is silent for a wildcard that matches nothing' {
        $output = @(Get-ApiToken -Name 'zz-nothing-*' -ErrorVariable errs)
        $output | Should -BeNullOrEmpty
        $errs | Should -BeNullOrEmpty
    }

    It "does not match another user's token by name for a non-administrator" {
        $output = @(Get-ApiToken -Name 'ci-bob' -ErrorVariable errs -ErrorAction SilentlyContinue)
        $output | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
    }

    It 'completes token names for -Name' {
        $line = 'Get-ApiToken -Name ci-'
        $completions = (Get-TestCompletion $line).CompletionText | ForEach-Object { $_.Trim("'", '"') }
        $completions | Should -Contain 'ci-pipeline'
        $completions | Should -Contain 'ci-nightly'
        $completions | Should -Not -Contain 'laptop'
    }
}

Describe 'Get-ApiToken -Id' {
    It 'returns the tokens with those ids' {
        $ids = $made['ci-pipeline'].id, $made['laptop'].id
        $output = @(Get-ApiToken -Id $ids)
        @($output.Id | Sort-Object) | Should -Be @($ids | Sort-Object)
    }

    It 'writes a non-terminating ApiTokenNotFound with the id as target for an id that does not exist' {
        $output = @(Get-ApiToken -Id 'no-such-id', $made['laptop'].id -ErrorVariable errs -ErrorAction SilentlyContinue)
        Get-Names $output | Should -Be @('laptop')
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].TargetObject | Should -BeExactly 'no-such-id'
    }

    It "answers ApiTokenNotFound to a non-administrator for another user's token id" {
        $output = @(Get-ApiToken -Id $made['ci-bob'].id -ErrorVariable errs -ErrorAction SilentlyContinue)
        $output | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ApiTokenNotFound,*'
        $errs[0].TargetObject | Should -BeExactly $made['ci-bob'].id
    }
}

Describe 'Get-ApiToken filters' {
    It 'filters by -Status' {
        Get-Names (Get-ApiToken -Status Disabled) | Should -Be @('laptop')
        $enabled = @(Get-ApiToken -Status Enabled)
        Get-Names $enabled | Should -Be (Get-ServerNames (Get-ServerToken -User $alice | Where-Object status -EQ 'ENABLED'))
        Get-Names $enabled | Should -Not -Contain 'laptop'
    }

    It 'filters by -CreatedAfter' {
        $output = @(Get-ApiToken -CreatedAfter $cut)
        Get-Names $output | Should -Be @('deploy-prod')
        $expected = Get-ServerToken -User $alice | Where-Object { (Get-ServerDate $_ 'createdDate') -gt $cut }
        Get-Names $output | Should -Be (Get-ServerNames $expected)
    }

    It 'filters by -CreatedBefore' {
        $output = @(Get-ApiToken -CreatedBefore $cut)
        Get-Names $output | Should -Not -Contain 'deploy-prod'
        $expected = Get-ServerToken -User $alice | Where-Object { (Get-ServerDate $_ 'createdDate') -lt $cut }
        Get-Names $output | Should -Be (Get-ServerNames $expected)
    }

    It 'combines -CreatedAfter and -CreatedBefore' {
        Get-Names (Get-ApiToken -CreatedAfter $cut -CreatedBefore $cut.AddDays(1)) | Should -Be @('deploy-prod')
        Get-ApiToken -CreatedAfter $cut.AddDays(1) | Should -BeNullOrEmpty
    }

    It 'treats -CreatedAfter in local time as the same instant' {
        $local = $cut.ToLocalTime()
        Get-Names (Get-ApiToken -CreatedAfter $local) | Should -Be @('deploy-prod')
    }

    It 'includes never-used tokens in -NotUsedSince' {
        $since = [datetime]::UtcNow.AddDays(1)
        $output = @(Get-ApiToken -NotUsedSince $since)
        # Every token was either never used or used before tomorrow.
        Get-Names $output | Should -Be (Get-ServerNames (Get-ServerToken -User $alice))
    }

    It 'returns only the never-used tokens for a -NotUsedSince date before any use' {
        $since = [datetime]::UtcNow.AddYears(-1)
        $output = @(Get-ApiToken -NotUsedSince $since)
        $expected = Get-ServerToken -User $alice | Where-Object { $null -eq (Get-ServerDate $_ 'lastUsedDate') }
        Get-Names $output | Should -Be (Get-ServerNames $expected)
        Get-Names $output | Should -Contain 'ci-nightly'
        Get-Names $output | Should -Not -Contain 'deploy-prod'
        $output | ForEach-Object { $_.LastUsedDate | Should -BeNullOrEmpty }
    }

    It 'combines filters into one query' {
        # laptop is disabled: the literal name matches nothing under these filters (ApiTokenNotFound, silenced here).
        Get-Names (Get-ApiToken -Name 'ci-*', 'laptop' -Status Enabled -CreatedBefore $cut -ErrorAction SilentlyContinue) | Should -Be @('ci-nightly', 'ci-pipeline')
        Get-Names (Get-ApiToken -Name '*' -Status Disabled -CreatedAfter $cut) | Should -BeNullOrEmpty
    }
}

Describe 'Get-ApiToken -Token' {
    It "finds the caller's token that has the value" {
        $secret = ConvertTo-TestSecureString $made['ci-nightly'].token
        $output = @(Get-ApiToken -Token $secret)
        $output | Should -HaveCount 1
        $output[0].Id | Should -Be $made['ci-nightly'].id
        $output[0].Name | Should -Be 'ci-nightly'
    }

    It "lets an administrator find another user's token by value with -AllUsers" {
        $secret = ConvertTo-TestSecureString $made['bob-old'].token
        $output = @(Get-ApiToken -Token $secret -AllUsers -Connection $adminConnection)
        $output | Should -HaveCount 1
        $output[0].Id | Should -Be $made['bob-old'].id
        $output[0].UserId | Should -Be $bob.UserId
    }

    It "never shows a non-administrator another user's token by value" {
        $secret = ConvertTo-TestSecureString $made['bob-old'].token
        $output = @(Get-ApiToken -Token $secret -ErrorAction SilentlyContinue)
        $output | Should -BeNullOrEmpty
    }
}

Describe 'Get-ApiToken paging over many tokens' {
    BeforeAll {
        $bigAccount = 'acme-big'
        $bigAdmin = New-TestUser -Server $server -AccountId $bigAccount -UserId 'bigadmin@acme.example' -Admin
        Add-TokenServerSeed -Server $server -AccountId $bigAccount -Users 50 -TokensPerUser 5
        $bigConnection = Connect-TestUser $bigAdmin
        $serverIds = @(Get-ServerToken -User $bigAdmin).id
        $all = @(Get-ApiToken -AllUsers -Connection $bigConnection)
    }

    It 'the seed holds 250 tokens plus the administrator''s own' {
        Get-ServerQueryCount -User $bigAdmin | Should -Be 251
        $serverIds.Count | Should -Be 251
    }

    It 'returns every token exactly once across pages' {
        $all | Should -HaveCount 251
        ($all.Id | Sort-Object -Unique).Count | Should -Be 251
        @($all.Id | Sort-Object) | Should -Be @($serverIds | Sort-Object)
    }

    It 'returns the tokens in the service''s order (createdDate, then id)' {
        $all.Id | Should -Be $serverIds
    }

    It 'writes the first token before it requests the next page' {
        $records = @(Get-ApiToken -AllUsers -Connection $bigConnection -Verbose 4>&1)
        $firstToken = [array]::FindIndex($records, [Predicate[object]] { param($r) $r -is [TokenManagement.ApiToken] })
        $firstMore = [array]::FindIndex($records, [Predicate[object]] { param($r) $r -is [System.Management.Automation.VerboseRecord] -and $r.Message -match 'queryMore' })
        $firstToken | Should -BeGreaterOrEqual 0
        $firstMore | Should -BeGreaterOrEqual 0 -Because '-Verbose shows each request, including queryMore'
        $firstToken | Should -BeLessThan $firstMore
        @($records | Where-Object { $_ -is [TokenManagement.ApiToken] }) | Should -HaveCount 251
    }

    It '-First returns the first N tokens' {
        $first = @(Get-ApiToken -AllUsers -Connection $bigConnection -First 10)
        $first.Id | Should -Be $all[0..9].Id
    }

    It '-Skip skips the first N tokens' {
        $rest = @(Get-ApiToken -AllUsers -Connection $bigConnection -Skip 245)
        $rest.Id | Should -Be $all[245..250].Id
    }

    It '-First and -Skip together select a window across a page boundary' {
        $window = @(Get-ApiToken -AllUsers -Connection $bigConnection -Skip 98 -First 5)
        $window.Id | Should -Be $all[98..102].Id
    }

    It '-IncludeTotalCount reports the total number of matches' {
        $output = @(Get-ApiToken -AllUsers -Connection $bigConnection -IncludeTotalCount -First 3)
        $tokens = @($output | Where-Object { $_ -is [TokenManagement.ApiToken] })
        $counts = @($output | Where-Object { $_ -isnot [TokenManagement.ApiToken] })
        $tokens | Should -HaveCount 3
        $counts | Should -HaveCount 1
        [uint64]$counts[0].PSObject.BaseObject | Should -Be 251
    }
}
