#Requires -Version 7.2
# Runs the help's examples for Examples.Tests.ps1, in this fresh pwsh (connection numbers count from 1 per process),
# each in a runspace of its own with the session the examples assume. Writes one result per example it ran.
param([Parameter(Mandatory)][string]$InputPath, [Parameter(Mandatory)][string]$ResultPath)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

$in = Get-Content -Raw $InputPath | ConvertFrom-Json
# 'Import-Module TokenManagement' and the module autoloading of ForEach-Object -Parallel find the built module.
$env:PSModulePath = (Split-Path (Split-Path $in.ModulePath)) + [IO.Path]::PathSeparator + $env:PSModulePath
$users = @{}
foreach ($u in $in.Users) {
    $users["$($u.AccountId)|$($u.UserId)"] = [pscustomobject]@{ Uri = $in.Uri; AccountId = $u.AccountId; UserId = $u.UserId; Token = $u.Token; TokenName = $u.TokenName }
}
$prodAccount = 'acme-A1B2C3'
$testAccount = 'acmetest-D4E5F6'
$alice = 'alice@acme.example'

# The prepared state, besides each user's first token (the runner's own, never touched by an example): per account and
# user, token name and status. alice connects with 'runbook-main'.
$World = @{
    $prodAccount = @{
        $alice                    = [ordered]@{ 'runbook-main' = 'ENABLED'; 'runbook-backup' = 'ENABLED'; 'ci-pipeline' = 'ENABLED'; 'ci' = 'ENABLED'
            'laptop' = 'DISABLED'; 'build[1]' = 'ENABLED'; 'etl-billing' = 'ENABLED' }
        'bob@acme.example'        = [ordered]@{ 'reporting' = 'ENABLED'; 'migration-2025' = 'DISABLED' }
        'dana@contractor.example' = [ordered]@{ 'contractor-sync' = 'ENABLED' }
    }
    $testAccount = @{ $alice = [ordered]@{ 'qa-smoke' = 'ENABLED' } }
}
$values = @{}

function Test-Keeper($Token, [string]$Account) {
    $owner = $users["$Account|$($Token.userId)"]
    $owner -and $Token.name -eq $owner.TokenName
}

function Reset-World {
    # Puts the server's tokens back to $World: what an example revoked, renamed or created is undone through the API.
    # 'runbook-main' is made anew each time: an example may rotate it (its name stays, its value changes), and the
    # next session connects with the value this runner knows.
    foreach ($account in $World.Keys) {
        $admin = $users["$account|$alice"]
        Get-ServerToken -User $admin | Where-Object { $_.userId -eq $alice -and $_.name -ceq 'runbook-main' } | ForEach-Object { Remove-ServerToken -User $admin -Id $_.id }
        $tokens = @(Get-ServerToken -User $admin)
        foreach ($token in $tokens | Where-Object { -not (Test-Keeper $_ $account) }) {
            $wanted = $World[$account][$token.userId]
            if (-not $wanted -or -not $wanted.Contains($token.name)) { Remove-ServerToken -User $admin -Id $token.id }
            elseif ($token.status -ne $wanted[$token.name]) { Set-ServerToken -User $admin -Id $token.id -Status $wanted[$token.name] | Out-Null }
        }
        foreach ($userId in $World[$account].Keys) {
            foreach ($name in $World[$account][$userId].Keys) {
                if ($tokens | Where-Object { $_.userId -eq $userId -and $_.name -ceq $name }) { continue }
                $created = New-ServerToken -User $users["$account|$userId"] -Name $name
                $values["$account|$userId|$name"] = [string]$created.token
                if ($World[$account][$userId][$name] -ne 'ENABLED') { Set-ServerToken -User $admin -Id $created.id -Status DISABLED | Out-Null }
            }
        }
    }
    # The files the examples read, with the ids of the tokens as they are now.
    $prod = @(Get-ServerToken -User $users["$prodAccount|$alice"] | Where-Object { -not (Test-Keeper $_ $prodAccount) })
    $prod | Where-Object userId -NE $alice | Select-Object @{ n = 'Id'; e = 'id' }, @{ n = 'Name'; e = 'name' }, @{ n = 'UserId'; e = 'userId' } |
        Export-Csv -Path (Join-Path $in.WorkPath 'ids.csv') -NoTypeInformation
    $prod | Where-Object status -EQ 'DISABLED' | Select-Object @{ n = 'Id'; e = 'id' }, @{ n = 'Name'; e = 'name' }, @{ n = 'UserId'; e = 'userId' } |
        Export-Csv -Path (Join-Path $in.WorkPath 'disabled-tokens.csv') -NoTypeInformation
    $prod | Where-Object { $_.name -like 'etl-*' } | ForEach-Object {
        [pscustomobject]@{ PSTypeName = 'TokenManagement.ApiToken'; Id = $_.id; Name = $_.name; UserId = $_.userId; AccountId = $prodAccount; Status = $_.status }
    } | Export-Clixml -Path (Join-Path $in.WorkPath 'tokens.xml')
    $env:BOOMI_ACCOUNT_ID = $prodAccount
    $env:BOOMI_API_URI = $in.Uri
    $env:BOOMI_USERNAME = $alice
    $env:BOOMI_API_TOKEN = $values["$prodAccount|$alice|runbook-main"]
}

# The examples' host answers each prompt with the next of the example's answers (its 'answers' marker), and refuses a
# prompt it has no answer for, so an example that asks unexpectedly fails instead of hanging.
Add-Type -Path (Join-Path $PSScriptRoot 'TestHost.cs')

function ConvertTo-Credential([string]$UserId, [string]$Value) {
    [pscredential]::new($UserId, (ConvertTo-SecureString $Value -AsPlainText -Force))
}

function Invoke-InSession($Session, [string]$Script, [hashtable]$Parameters, [switch]$Format) {
    # One script in the session's runspace: its output (formatted, as a console would show it), its errors, or the
    # exception that ended it; 60 s at most.
    $ps = $Session.PowerShell
    $ps.Commands.Clear()
    $ps.Streams.ClearStreams()
    [void]$ps.AddScript($Script)
    if ($Parameters) { [void]$ps.AddParameters($Parameters) }
    if ($Format) { [void]$ps.AddCommand('Out-String') }
    $async = $ps.BeginInvoke()
    if (-not $async.AsyncWaitHandle.WaitOne(60000)) { $ps.Stop(); return [pscustomobject]@{ Output = @(); Errors = @(); Failure = 'it did not end within 60 s' } }
    $failure = $null
    $output = try { @($ps.EndInvoke($async)) } catch { $failure = $_.Exception.InnerException ?? $_.Exception; @() }
    [pscustomobject]@{ Output = $output; Errors = @($ps.Streams.Error); Failure = if ($failure) { "it threw: $($failure.Message)" } }
}

$Preamble = @'
param($WorkPath, $Credential, $TestCredential, [switch]$Numbered)
Set-Location $WorkPath
$global:credential = $Credential
$global:prodCredential = $Credential
$global:testCredential = $TestCredential
# A stand-in for Set-Secret (Microsoft.PowerShell.SecretManagement, not installed here): it keeps the value, which the
# examples must hand over as a SecureString.
$global:Secrets = @{}
# The server has no rate limit; without the client's ceiling of 10 requests per second the examples are not paced.
$global:PSDefaultParameterValues['Connect-AtomSphere:RequestsPerSecond'] = 0
function global:Set-Secret([Parameter(Mandatory)][string]$Name, [Parameter(Mandatory)][securestring]$Secret) { $global:Secrets[$Name] = $Secret }
if ($Numbered) {
    $global:prod = Connect-AtomSphere -AccountId 'acme-A1B2C3' -Credential $Credential -PassThru
    $global:test = Connect-AtomSphere -AccountId 'acmetest-D4E5F6' -Credential $TestCredential -PassThru
}
else {
    $global:test = Connect-AtomSphere -AccountId 'acmetest-D4E5F6' -Credential $TestCredential -PassThru
    Connect-AtomSphere -AccountId 'acme-A1B2C3' -Credential $Credential
}
'@

function New-Session([switch]$Numbered) {
    $iss = [initialsessionstate]::CreateDefault2()
    $iss.ImportPSModule([string[]]@($in.ModulePath))
    $answering = [TokenManagementTests.TestHost]::new()
    $runspace = [runspacefactory]::CreateRunspace($answering, $iss)
    $runspace.Open()
    $session = [pscustomobject]@{ Runspace = $runspace; PowerShell = [powershell]::Create($runspace); UI = $answering.TestUI }
    $parameters = @{
        WorkPath       = $in.WorkPath; Numbered = [bool]$Numbered
        Credential     = ConvertTo-Credential $alice $values["$prodAccount|$alice|runbook-main"]
        TestCredential = ConvertTo-Credential $alice $users["$testAccount|$alice"].Token
    }
    $run = Invoke-InSession $session $Preamble $parameters
    if ($run.Failure -or $run.Errors) { throw "The examples' session could not be prepared: $($run.Failure) $($run.Errors -join '; ')" }
    $session
}

function Invoke-Example($Session, $Example) {
    $marker = $Example.Marker
    $code = $Example.Code
    $problems = [Collections.Generic.List[string]]::new()
    foreach ($setup in @($marker.PSObject.Properties['setup'] ? $marker.setup : @())) {
        $run = Invoke-InSession $Session $setup
        if ($run.Failure -or $run.Errors) { $problems.Add("setup '$setup': $($run.Failure) $($run.Errors -join '; ')") }
    }
    foreach ($sample in @($marker.PSObject.Properties['sample'] ? $marker.sample : @())) {
        if ($sample -notmatch '^(.+?)\s+=\s+(.+)$') { $problems.Add("sample '$sample' is not '<text> = <code>'"); continue }
        $text, $expression = $Matches[1], $Matches[2]
        if (-not $code.Contains($text)) { $problems.Add("the sample value '$text' does not occur in the example"); continue }
        $value = "$(@((Invoke-InSession $Session $expression).Output)[0])"
        if (-not $value) { $problems.Add("the sample value '$text' = $expression is empty"); continue }
        $code = $code.Replace($text, $value)
    }
    $Session.UI.Answers.Clear()
    $Session.UI.Asked.Clear()
    foreach ($answers in @($marker.PSObject.Properties['answers'] ? $marker.answers : @())) {
        $run = Invoke-InSession $Session $answers
        if ($run.Failure -or $run.Errors -or -not $run.Output) { $problems.Add("answers '$answers' gave no answers: $($run.Failure) $($run.Errors -join '; ')"); continue }
        foreach ($answer in $run.Output) { $Session.UI.Answers.Enqueue($answer.psobject.BaseObject) }
    }
    $expected = @(if ($marker.PSObject.Properties['errors']) { $marker.errors -split '\s*,\s*' })
    $run = Invoke-InSession $Session $code -Format
    if ($run.Failure) { $problems.Add($run.Failure) }
    if ($Session.UI.Answers.Count) { $problems.Add("it asked for $($Session.UI.Asked.Count) answer(s), $($Session.UI.Answers.Count) fewer than its answers") }
    foreach ($expect in @($marker.PSObject.Properties['expect'] ? $marker.expect : @())) {
        $check = Invoke-InSession $Session $expect
        if ($check.Failure -or $check.Errors -or @($check.Output).Count -ne 1 -or $check.Output[0] -isnot [bool] -or -not $check.Output[0]) {
            $problems.Add("expect '$expect' did not hold: $(@($check.Output) -join ', ') $($check.Failure) $($check.Errors -join '; ')")
        }
    }
    foreach ($record in $run.Errors) {
        $id = ($record.FullyQualifiedErrorId -split ',')[0]
        if ($id -notin $expected) { $problems.Add("it wrote the error $($record.FullyQualifiedErrorId): $record") }
    }
    foreach ($id in $expected | Where-Object { $_ -notin @($run.Errors | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] }) }) {
        $problems.Add("it did not write the documented error $id")
    }
    $problems
}

$results = [Collections.Generic.List[object]]::new()
$examples = @($in.Examples)
function Add-Result([int]$Index, [string[]]$Problems, [double]$Seconds) {
    $example = $examples[$Index]
    $results.Add([pscustomobject]@{ Index = $Index; Page = $example.Page; Title = $example.Title; Problems = @($Problems); Seconds = [Math]::Round($Seconds, 2) })
    Write-Host ("{0} {1}: {2} ({3:n1} s){4}" -f $(if ($Problems) { 'FAIL' } else { 'ran ' }), $example.Page, $example.Title, $Seconds, $(if ($Problems) { "`n    " + ($Problems -join "`n    ") }))
}
function Test-Marker($Example, [string]$Key) { [bool]$Example.Marker.PSObject.Properties[$Key] }

try {
    Reset-World
    $indexes = 0..($examples.Count - 1) | Where-Object { -not (Test-Marker $examples[$_] 'skip') }
    # First the examples that name connections by number, in the session that made this process's connections 1 and 2.
    $numbered = @($indexes | Where-Object { Test-Marker $examples[$_] 'connections' })
    if ($numbered) {
        $session = New-Session -Numbered
        try {
            foreach ($index in $numbered) {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                Add-Result $index @(Invoke-Example $session $examples[$index]) $clock.Elapsed.TotalSeconds
            }
        }
        finally { $session.PowerShell.Dispose(); $session.Runspace.Dispose() }
    }
    foreach ($index in $indexes | Where-Object { $_ -notin $numbered }) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Reset-World
        $session = New-Session
        try { $problems = @(Invoke-Example $session $examples[$index]) }
        catch { $problems = @("the runner failed: $_") }
        finally { $session.PowerShell.Dispose(); $session.Runspace.Dispose() }
        Add-Result $index $problems $clock.Elapsed.TotalSeconds
    }
}
finally {
    ConvertTo-Json -InputObject @($results) -Depth 4 | Set-Content -Path $ResultPath
}
