#Requires -Version 7.2
# Every example of the help (docs/en-US: the cmdlet pages' EXAMPLES and about_TokenManagement's) runs against a real
# server. An example marked 'skip' in the markdown (it needs a real platform) is skipped and counted; one that asks is
# answered by the session's host ('answers'). The markers (see src/TokenManagement/Help/New-ExternalHelp.ps1) say what an example needs:
#   skip: <why>                 not run
#   setup: <code>               run first, in the example's session (for example: a token the story assumes)
#   sample: <text> = <code>     the sample value <text> in the example (an id, a local address) is replaced by the
#                               value of <code>, evaluated in the example's session after the setup
#   answers: <code>             the example asks (a confirmation, Read-Host, a credential): the session's host answers
#                               each prompt, in order, with the next item of <code>'s output (a choice by its hotkey,
#                               such as 'Y' or 'A'; a line; a SecureString; a PSCredential), evaluated after the setup.
#                               Every answer must be asked for, and no other prompt may come.
#   expect: <code>              after the example, <code> in its session must return $true (what the example did)
#   errors: <id>, ...           the documented non-terminating errors it writes (each must occur; no other may)
#   connections: numbered       runs in the session that made the process's first connections, 1 and 2
#
# The examples run in one fresh pwsh (tests/Pester/Examples.Runner.ps1), each in a runspace of its own whose session
# is the one the help's examples assume: alice@acme.example, an administrator of acme-A1B2C3, connected (the default
# connection, authenticated with her token 'runbook-main'), $test connected to acmetest-D4E5F6, $credential and
# $prodCredential (alice on acme-A1B2C3), $testCredential (alice on acmetest-D4E5F6), the BOOMI_* variables of a
# runbook, ./ids.csv, ./disabled-tokens.csv and ./tokens.xml, and Set-Secret: SecretManagement is not installed here,
# so a stand-in keeps the SecureString it is given. Before each example the server's tokens are put back to the
# prepared state ($World in the runner).

BeforeDiscovery {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $examples = @(& (Join-Path $root 'src/TokenManagement/Help/New-ExternalHelp.ps1') -SourcePath (Join-Path $root 'docs/en-US') -ListExamples)
    $cases = @(for ($i = 0; $i -lt $examples.Count; $i++) {
            @{ Index = $i; Page = $examples[$i].Page; Title = $examples[$i].Title; Skip = @($examples[$i].Marker['skip'])[0] }
        })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TokenServer.psm1') -Force
    $root = Get-RepoRoot
    $examples = @(& (Join-Path $root 'src/TokenManagement/Help/New-ExternalHelp.ps1') -SourcePath (Join-Path $root 'docs/en-US') -ListExamples)
    $server = Start-TokenServer -MaxTokensPerUser 20
    # Each user's first token ('keeper') is what the runner resets the server with; the examples never touch it.
    $users = @(
        New-TestUser -Server $server -AccountId 'acme-A1B2C3' -UserId 'alice@acme.example' -Admin -TokenName 'alice-admin'
        New-TestUser -Server $server -AccountId 'acme-A1B2C3' -UserId 'bob@acme.example' -TokenName 'bob-workstation'
        New-TestUser -Server $server -AccountId 'acme-A1B2C3' -UserId 'dana@contractor.example' -TokenName 'dana-laptop'
        New-TestUser -Server $server -AccountId 'acmetest-D4E5F6' -UserId 'alice@acme.example' -Admin -TokenName 'alice-test-admin'
    )
    $work = Join-Path $TestDrive 'examples'
    New-Item -ItemType Directory -Path $work | Out-Null
    $inputPath = Join-Path $TestDrive 'input.json'
    $resultPath = Join-Path $TestDrive 'results.json'
    @{
        Uri = $server.Uri; ModulePath = Get-TestModulePath; WorkPath = $work
        Users = @($users | ForEach-Object { @{ AccountId = $_.AccountId; UserId = $_.UserId; Token = $_.Token; TokenName = $_.TokenName } })
        Examples = @($examples | ForEach-Object { @{ Page = $_.Page; Title = $_.Title; Code = $_.Code; Marker = $_.Marker } })
    } | ConvertTo-Json -Depth 6 | Set-Content -Path $inputPath
    $started = [Diagnostics.Stopwatch]::StartNew()
    & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'Examples.Runner.ps1') -InputPath $inputPath -ResultPath $resultPath |
        Out-Host
    $results = if (Test-Path $resultPath) { @(Get-Content -Raw $resultPath | ConvertFrom-Json) } else { @() }
    Write-Host "The examples runner took $([int]$started.Elapsed.TotalSeconds) s."
}

AfterAll {
    if ($server) { $server | Stop-TokenServer }
    if ($examples) {
        $skipped = @($examples | Where-Object { $_.Marker['skip'] })
        $reasons = ($skipped | Group-Object { ($_.Marker['skip'][0] -split ':')[0] } | ForEach-Object { "$($_.Count) $($_.Name)" }) -join ', '
        Write-Host "Help examples: $($examples.Count), $($examples.Count - $skipped.Count) run against the server, $($skipped.Count) skipped ($reasons)."
    }
}

Describe 'Help example' {
    It '<Page>: <Title>' -ForEach $cases {
        if ($Skip) {
            Set-ItResult -Skipped -Because $Skip
            return
        }
        $result = $results | Where-Object Index -EQ $Index
        $result | Should -Not -BeNullOrEmpty -Because 'the runner reports every example it ran'
        $result.Problems | Should -BeNullOrEmpty
    }
}
