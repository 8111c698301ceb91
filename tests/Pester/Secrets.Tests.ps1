#Requires -Version 7.2
# Token values never appear in any stream, error, or $Error, even with -Verbose and -Debug (spec: "Secrets").
# -Debug on a compiled cmdlet makes PowerShell inquire on every warning (and on verbose without -Verbose), which throws
# in a non-interactive session; so every -Debug call here also passes -Verbose and -WarningAction Continue.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer -MaxTokensPerUser 20
    $account = 'acme-secrets'
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'

    # Forms in which a value could leak: itself, without dashes, its tail (anything past the public 6-char prefix),
    # and the Basic authorization header built from it.
    function Get-SecretForms([string]$Value, [string]$UserId) {
        $pair = "BOOMI_TOKEN.${UserId}:$Value"
        @(
            $Value
            $Value.Replace('-', '')
            $Value.Substring(12)
            [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($pair))
            [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${UserId}:$Value"))
        )
    }

    function Assert-NoSecret([string]$Text, [string[]]$Forms, [string]$Where) {
        foreach ($form in $Forms) {
            $Text.Contains($form, [StringComparison]::OrdinalIgnoreCase) | Should -BeFalse -Because "a token value must not appear in $Where"
        }
    }

    function Get-ErrorVariableText {
        (@($global:Error) | ForEach-Object { Get-StreamText $_ }) -join "`n"
    }
}

AfterAll {
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'No token value in any stream' {
    BeforeAll {
        $global:Error.Clear()
        $connectRecords = @(Connect-AtomSphere -AccountId $account -Credential $alice.Credential -Uri $server.Uri -PassThru -Verbose -Debug -WarningAction Continue *>&1)
        $connectForms = Get-SecretForms $alice.Token $alice.UserId
    }

    It 'Connect-AtomSphere -Verbose -Debug shows no token value' {
        @($connectRecords | Where-Object { $_ -is [TokenManagement.AtomSphereConnection] }) | Should -HaveCount 1
        Assert-NoSecret (Get-StreamText $connectRecords) $connectForms 'the output of Connect-AtomSphere'
        Assert-NoSecret (Get-ErrorVariableText) $connectForms '$Error'
    }

    It 'Connect-AtomSphere -Verbose shows the request with method and path' {
        $verbose = @($connectRecords | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $verbose | Should -Not -BeNullOrEmpty
        ($verbose -join "`n") | Should -Match "GET\s+\S*/Account/$([regex]::Escape($account))"
        $line = @($verbose | Where-Object { $_ -match 'GET\s+\S*/Account/' })[0]
        $line | Should -Match '\b200\b' -Because 'the request line shows the status'
        $line | Should -Match '\d+(\.\d+)?\s*(ms|s)\b' -Because 'the request line shows the time'
    }

    It 'Connect-AtomSphere with environment variables and -Verbose -Debug shows no token value' {
        $saved = [Environment]::GetEnvironmentVariable('BOOMI_API_TOKEN'), [Environment]::GetEnvironmentVariable('BOOMI_ACCOUNT_ID'),
        [Environment]::GetEnvironmentVariable('BOOMI_USERNAME'), [Environment]::GetEnvironmentVariable('BOOMI_API_URI')
        try {
            $env:BOOMI_API_TOKEN = $alice.Token; $env:BOOMI_ACCOUNT_ID = $account; $env:BOOMI_USERNAME = $alice.UserId; $env:BOOMI_API_URI = $server.Uri
            $records = @(Connect-AtomSphere -PassThru -Verbose -Debug -WarningAction Continue *>&1)
        }
        finally {
            $env:BOOMI_API_TOKEN = $saved[0]; $env:BOOMI_ACCOUNT_ID = $saved[1]; $env:BOOMI_USERNAME = $saved[2]; $env:BOOMI_API_URI = $saved[3]
        }
        @($records | Where-Object { $_ -is [TokenManagement.AtomSphereConnection] }) | Should -HaveCount 1
        Assert-NoSecret (Get-StreamText $records) $connectForms 'the output of Connect-AtomSphere'
    }

    It 'a failed Connect-AtomSphere -Verbose -Debug shows no token value' {
        $wrong = [Guid]::NewGuid().ToString()
        $credential = [pscredential]::new($alice.UserId, (ConvertTo-TestSecureString $wrong))
        $global:Error.Clear()
        $records = @()
        try { $records = @(Connect-AtomSphere -AccountId $account -Credential $credential -Uri $server.Uri -Verbose -Debug -WarningAction Continue *>&1) }
        catch { $records += $_ }
        $forms = Get-SecretForms $wrong $alice.UserId
        $errors = @(@($records) + @($global:Error) | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $errors | Should -Not -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        Assert-NoSecret (Get-StreamText $records) $forms 'the output of a failed Connect-AtomSphere'
        Assert-NoSecret (Get-ErrorVariableText) $forms '$Error'
        # The working connection made before is still the default.
        @(Get-ApiToken).UserId | Sort-Object -Unique | Should -Be $alice.UserId
    }

    Context 'a new token, found and revoked by value' {
        BeforeAll {
            Connect-TestUser $alice | Out-Null
            $global:Error.Clear()
            $newRecords = @(New-ApiToken -Name 'secret-one' -Verbose -Debug -WarningAction Continue *>&1)
            $created = @($newRecords | Where-Object { $_ -is [TokenManagement.CreatedApiToken] })
            $value = if ($created.Count -eq 1 -and $created[0].Token -is [securestring]) { ConvertTo-PlainText $created[0].Token } else { $null }
            $forms = if ($value) { Get-SecretForms $value $alice.UserId } else { @() }
        }

        It 'New-ApiToken -Verbose -Debug shows no token value (outside the SecureString and the new token''s own view)' {
            $created | Should -HaveCount 1
            $value | Should -Not -BeNullOrEmpty
            # The new token's default view shows the value by design (docs/cmdlets.md, New-ApiToken); nothing else may.
            $others = @($newRecords | Where-Object { $_ -isnot [TokenManagement.CreatedApiToken] })
            Assert-NoSecret (Get-StreamText $others) $forms 'the other records of New-ApiToken'
            Assert-NoSecret ("$($created[0])" + ($created[0] | Format-List * -Force | Out-String -Width 4096)) $forms 'the new token''s properties'
            Assert-NoSecret (Get-ErrorVariableText) $forms '$Error'
        }

        It 'New-ApiToken -Verbose shows the request with method and path' {
            $verbose = @($newRecords | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
            $verbose | Should -Match 'POST\s+\S*/ApiToken\b'
        }

        It 'New-ApiToken still writes its warning, without the value' {
            $warnings = @($newRecords | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
            $warnings | Should -HaveCount 1
            Assert-NoSecret $warnings[0].Message $forms 'the warning'
        }

        It 'Get-ApiToken -Token -Verbose -Debug finds it and shows no token value' {
            $global:Error.Clear()
            $records = @(Get-ApiToken -Token $created[0].Token -Verbose -Debug -WarningAction Continue *>&1)
            @($records | Where-Object { $_ -is [TokenManagement.ApiToken] }).Id | Should -Be $created[0].Id
            ($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" |
                Should -Match 'POST\s+\S*/ApiToken/query'
            Assert-NoSecret (Get-StreamText $records) $forms 'the output of Get-ApiToken -Token'
            Assert-NoSecret (Get-ErrorVariableText) $forms '$Error'
        }

        It 'Remove-ApiToken -Token -Verbose -Debug revokes it and shows no token value' {
            $global:Error.Clear()
            $records = @(Remove-ApiToken -Token $created[0].Token -Confirm:$false -Verbose -Debug -WarningAction Continue *>&1)
            Get-ServerToken -User $alice -Id $created[0].Id | Should -BeNullOrEmpty
            ($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" |
                Should -Match "DELETE\s+\S*/ApiToken/$([regex]::Escape($created[0].Id))"
            Assert-NoSecret (Get-StreamText $records) $forms 'the output of Remove-ApiToken -Token'
            Assert-NoSecret (Get-ErrorVariableText) $forms '$Error'
        }

        It 'Get-ApiToken -Token and Remove-ApiToken -Token of a revoked value fail without showing it' {
            $global:Error.Clear()
            $records = @(Get-ApiToken -Token $created[0].Token -Verbose -Debug -WarningAction Continue -ErrorAction Continue *>&1)
            $records += @(Remove-ApiToken -Token $created[0].Token -Confirm:$false -Verbose -Debug -WarningAction Continue -ErrorAction Continue *>&1)
            @($records | Where-Object { $_ -is [TokenManagement.ApiToken] }) | Should -BeNullOrEmpty
            @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -Not -BeNullOrEmpty -Because 'Remove-ApiToken reports that no token has the value'
            Assert-NoSecret (Get-StreamText $records) $forms 'the errors for a revoked value'
            Assert-NoSecret (Get-ErrorVariableText) $forms '$Error'
        }

        It 'the revoked value no longer authenticates' {
            Get-AuthenticationStatus -User $alice -Token $value | Should -Be 401
        }
    }

    It 'Rename-, Disable- and Remove-ApiToken -Verbose -Debug show no token value' {
        $made = New-ServerToken -User $alice -Name 'other-one'
        $forms = Get-SecretForms $made.token $alice.UserId
        $global:Error.Clear()
        $records = @(
            Rename-ApiToken -Id $made.id -NewName 'other-two' -PassThru -Verbose -Debug -WarningAction Continue *>&1
            Disable-ApiToken -Id $made.id -Confirm:$false -PassThru -Verbose -Debug -WarningAction Continue *>&1
            Remove-ApiToken -Id $made.id -Confirm:$false -PassThru -Verbose -Debug -WarningAction Continue *>&1
        )
        @($records | Where-Object { $_ -is [TokenManagement.ApiToken] }) | Should -HaveCount 3
        $verbose = ($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match "POST\s+\S*/ApiToken/$([regex]::Escape($made.id))"
        $verbose | Should -Match "DELETE\s+\S*/ApiToken/$([regex]::Escape($made.id))"
        Assert-NoSecret (Get-StreamText $records) $forms 'the output of Rename/Disable/Remove'
        Assert-NoSecret (Get-StreamText $records) $connectForms 'the output of Rename/Disable/Remove (the connection token)'
        Assert-NoSecret (Get-ErrorVariableText) $forms '$Error'
    }

    It "the connection's token never appears in the output of any of this file's commands" {
        Assert-NoSecret (Get-StreamText $connectRecords) $connectForms 'Connect-AtomSphere'
        Assert-NoSecret (Get-StreamText @(Get-AtomSphereConnection)) $connectForms 'Get-AtomSphereConnection'
        Assert-NoSecret (Get-StreamText @(Get-ApiToken -Verbose -Debug -WarningAction Continue *>&1)) $connectForms 'Get-ApiToken'
    }
}
