#Requires -Version 7.2
# What only a person at an interactive prompt sees, through a real terminal (tmux): the credential prompt of
# Connect-AtomSphere and the value of a new token shown once. Each screen is read as plain text.

BeforeDiscovery {
    $script:noTerminal = -not (Get-Command tmux -CommandType Application -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Terminal.psm1') -Force
    Import-TestModules
    $server = Start-TokenServer
    $account = 'acme-terminal'
    $alice = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'
    $terminal = Start-TerminalSession -Width 80 -ModulePath (Get-TestModulePath)
    Invoke-TerminalCommand -Session $terminal -Command 'Get-ChildItem env:BOOMI_* | Remove-Item' | Out-Null
}

AfterAll {
    $terminal | Stop-TerminalSession
    Disconnect-AllTestConnections
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Connect-AtomSphere at an interactive prompt' -Skip:$noTerminal {
    It 'asks for the user id and the token when -Credential is missing, and connects' {
        Send-TerminalLine -Session $terminal -Text "Connect-AtomSphere -AccountId $account -Uri $($server.Uri)"
        $screen = Wait-TerminalText -Session $terminal -Pattern '^User: ?$'
        $screen | Should -Match "Account ${account}: your user id"
        Send-TerminalLine -Session $terminal -Text $alice.UserId
        Wait-TerminalText -Session $terminal -Pattern '^Password for user .*: ?$' | Out-Null
        Send-TerminalLine -Session $terminal -Text $alice.Token
        $screen = Wait-TerminalText -Session $terminal -Pattern '^PS .*> ?$'
        $screen | Should -Not -Match 'MissingCredential'
        $screen | Should -Not -Match ([regex]::Escape($alice.Token)) -Because 'the token is typed at a masked prompt'

        $shown = Invoke-TerminalCommand -Session $terminal -Command '(Get-AtomSphereConnection | Where-Object IsDefault).UserId'
        $shown | Should -Be $alice.UserId
    }

    It 'asks only for the token when -Credential is a user name' {
        Send-TerminalLine -Session $terminal -Text "Connect-AtomSphere -AccountId $account -Uri $($server.Uri) -Credential $($alice.UserId) -PassThru | Format-List UserId, State"
        Wait-TerminalText -Session $terminal -Pattern '^Password for user .*: ?$' | Out-Null
        Send-TerminalLine -Session $terminal -Text $alice.Token
        $screen = Wait-TerminalText -Session $terminal -Pattern '^PS .*> ?$'
        $screen | Should -Match "UserId\s*:\s*$([regex]::Escape($alice.UserId))"
        $screen | Should -Match 'State\s*:\s*Open'
    }

    It 'asks for the account id too when it is missing everywhere' {
        Send-TerminalLine -Session $terminal -Text "Connect-AtomSphere -Uri $($server.Uri) -PassThru | Format-List AccountId"
        $screen = Wait-TerminalText -Session $terminal -Pattern '^AccountId: ?$'
        $screen | Should -Match 'Which account\?'
        Send-TerminalLine -Session $terminal -Text $account
        Wait-TerminalText -Session $terminal -Pattern '^User: ?$' | Out-Null
        Send-TerminalLine -Session $terminal -Text $alice.UserId
        Wait-TerminalText -Session $terminal -Pattern '^Password for user .*: ?$' | Out-Null
        Send-TerminalLine -Session $terminal -Text $alice.Token
        $screen = Wait-TerminalText -Session $terminal -Pattern '^PS .*> ?$'
        $screen | Should -Match "AccountId\s*:\s*$account"
    }
}

Describe 'A new token at an interactive prompt' -Skip:$noTerminal {
    BeforeAll {
        $uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
        Invoke-TerminalCommand -Session $terminal -Command ("Connect-AtomSphere -AccountId $account -Uri $($server.Uri) -Credential " +
            "([pscredential]::new('$($alice.UserId)', (ConvertTo-SecureString -AsPlainText -Force '$($alice.Token)')))") | Out-Null
    }

    It 'shows the value once, on one row, when the new token reaches the screen' {
        $screen = Invoke-TerminalCommand -Session $terminal -Command 'New-ApiToken -Name first-contact'
        $shown = @([regex]::Matches($screen, $uuid) | ForEach-Object Value | Where-Object { $_ -ne $alice.Token })
        $shown | Should -HaveCount 1 -Because "the value is shown exactly once. The screen:`n$screen"
        $shown[0] | Should -Not -BeNullOrEmpty
        Get-AuthenticationStatus -User $alice -Token $shown[0] | Should -Be 200
        $screen | Should -Match 'WARNING: .*first-contact'
    }

    It 'shows no value when the output is captured, and the variable holds it as a SecureString' {
        $screen = Invoke-TerminalCommand -Session $terminal -Command '$t = New-ApiToken -Name captured'
        $screen | Should -Not -Match $uuid
        $screen | Should -Match 'WARNING: .*captured'
        Invoke-TerminalCommand -Session $terminal -Command '$t.Token.GetType().Name' | Should -Be 'SecureString'
    }

    It 'shows no value when the output is piped on' {
        $screen = Invoke-TerminalCommand -Session $terminal -Command 'New-ApiToken -Name piped-on | Select-Object Name, Status'
        $screen | Should -Not -Match $uuid
        $screen | Should -Match 'piped-on'
    }

    It 'lists the tokens at 80 columns without wrapping a row, the Id among the columns' {
        $count = [int](Invoke-TerminalCommand -Session $terminal -Command '@(Get-ApiToken).Count')
        $table = Invoke-TerminalCommand -Session $terminal -Command 'Get-ApiToken'
        @($table -split "`n" | Where-Object { $_.Trim() }) | Should -HaveCount ($count + 2) -Because "the table is a header, a rule and one row per token. The screen:`n$table"
        $rows = Get-TerminalRows -Session $terminal
        $joined = Get-TerminalRows -Session $terminal -JoinWrapped
        $joined.Count | Should -Be $rows.Count -Because "no row wraps at 80 columns. The screen:`n$($rows -join "`n")"
        ($rows -join "`n") | Should -Match '(?m)^Name\s.*\bId\b'
    }
}

Describe 'Connect-AtomSphere where nobody can answer' {
    It 'keeps the MissingCredential error in a -NonInteractive pwsh, saying why it did not ask' {
        $module = Get-TestModulePath
        $script = "Get-ChildItem env:BOOMI_* | Remove-Item; Import-Module '$module'; try { Connect-AtomSphere -AccountId $account -Uri $($server.Uri) } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }"
        $output = @(& dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1)
        $output[0] | Should -BeLike 'MissingCredential,*'
        ($output -join "`n") | Should -Match 'cannot ask for them \(it is not interactive\)'
    }
}
