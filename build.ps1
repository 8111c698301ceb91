#Requires -Version 7.2
<#
.SYNOPSIS
Builds, tests, demonstrates and benchmarks TokenManagement.

.DESCRIPTION
Run through the local tool manifest so that every machine uses the same PowerShell:
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test

Tasks:
  Clean      removes out/ and every bin/ and obj/ folder.
  Build      builds the solution, assembles the module in out/TokenManagement (help generated from the module's own
             metadata and docs/en-US) and the server in out/server.
  Package    Build, then out/packages/TokenManagement.<version>.nupkg (Compress-PSResource): the module, LICENSE and
             CHANGELOG.md. Install it with Install-PSResource from a file repository (README.md).
  Test       Package, then the xunit projects and the Pester suites, each in its own process; ends with 'N passed, N failed, N skipped'.
  Demo       Build, then walks through the module's story against a local server.
  Sandbox    Build, then an interactive pwsh with the module imported and connected to a local server.
  Benchmark  Build, then the benchmarks (docs/performance.md).
#>
[CmdletBinding()]
param(
    [ValidateSet('Clean', 'Build', 'Package', 'Test', 'Demo', 'Sandbox', 'Benchmark')]
    [string]$Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ProgressPreference = 'SilentlyContinue'
# Written to a file or a pipe (CI, `> log`), the output is plain text: no colour codes.
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'TokenManagement'
$ServerOut = Join-Path $Out 'server'
$ResultsOut = Join-Path $Out 'test-results'
$PackageOut = Join-Path $Out 'packages'

# The module folder is assembled from this list and nothing else: a missing or unexpected file fails the build.
$ModuleFiles = @(
    'TokenManagement.psd1'
    'bin/TokenManagement.dll'
    'bin/TokenManagement.Loader.dll'
    'TokenManagement.format.ps1xml'
    'en-US/TokenManagement.dll-Help.xml'
    'en-US/about_TokenManagement.help.txt'
)
$DependencyFiles = @{
    'net8.0'         = @(
        'TokenManagement.Client.dll'
        'Microsoft.Extensions.Configuration.Abstractions.dll'
        'Microsoft.Extensions.Configuration.Binder.dll'
        'Microsoft.Extensions.Configuration.dll'
        'Microsoft.Extensions.DependencyInjection.Abstractions.dll'
        'Microsoft.Extensions.DependencyInjection.dll'
        'Microsoft.Extensions.Diagnostics.Abstractions.dll'
        'Microsoft.Extensions.Diagnostics.dll'
        'Microsoft.Extensions.Http.dll'
        'Microsoft.Extensions.Logging.Abstractions.dll'
        'Microsoft.Extensions.Logging.dll'
        'Microsoft.Extensions.Options.ConfigurationExtensions.dll'
        'Microsoft.Extensions.Options.dll'
        'Microsoft.Extensions.Primitives.dll'
    )
    'netstandard2.0' = @(
        'TokenManagement.Client.dll'
        'Microsoft.Bcl.AsyncInterfaces.dll'
        'Microsoft.Extensions.Configuration.Abstractions.dll'
        'Microsoft.Extensions.DependencyInjection.Abstractions.dll'
        'Microsoft.Extensions.DependencyInjection.dll'
        'Microsoft.Extensions.Http.dll'
        'Microsoft.Extensions.Logging.Abstractions.dll'
        'Microsoft.Extensions.Logging.dll'
        'Microsoft.Extensions.Options.dll'
        'Microsoft.Extensions.Primitives.dll'
        'System.Buffers.dll'
        'System.ComponentModel.Annotations.dll'
        'System.Diagnostics.DiagnosticSource.dll'
        'System.IO.Pipelines.dll'
        'System.Memory.dll'
        'System.Numerics.Vectors.dll'
        'System.Runtime.CompilerServices.Unsafe.dll'
        'System.Text.Encodings.Web.dll'
        'System.Text.Json.dll'
        'System.Threading.Tasks.Extensions.dll'
    )
}

# The package holds the module folder's files, these two from the repository root, and the files every .nupkg has
# (the .psmdcp file's name is random).
$PackageExtraFiles = @('LICENSE', 'CHANGELOG.md')
$NupkgFiles = @('TokenManagement.nuspec', '[Content_Types].xml', '_rels/.rels')
$NupkgPropertiesPattern = '^package/services/metadata/core-properties/[0-9a-f]{32}\.psmdcp$'

function Get-ModuleFileList {
    @($ModuleFiles) + @(foreach ($tfm in $DependencyFiles.Keys) { $DependencyFiles[$tfm] | ForEach-Object { "bin/dependencies/$tfm/$_" } })
}

# Announces a step that takes a while, so that a log never goes quiet without saying what is running.
$StepClock = [Diagnostics.Stopwatch]::StartNew()
function Write-BuildStep([string]$Text) {
    Write-Host ("==> [{0:mm\:ss}] {1}" -f $StepClock.Elapsed, $Text)
}

# A plain function on purpose: an advanced one would bind dotnet's -v and -o as PowerShell's common parameters.
function Invoke-Native {
    $filePath, $arguments = $args
    & $filePath @arguments
    if ($LASTEXITCODE -ne 0) { throw "'$filePath $($arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-ProjectVersion {
    $props = [xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
    if (-not $version) { throw 'Directory.Build.props has no VersionPrefix.' }
    $version
}

# The latest version entry of CHANGELOG.md ('## [x.y.z] - date'; an '## [Unreleased]' entry is passed over): its text,
# verbatim, becomes the manifest's ReleaseNotes. Its version must be the one being built.
function Get-ReleaseNotes([string]$Version) {
    $lines = @(Get-Content (Join-Path $Root 'CHANGELOG.md'))
    $start = @(for ($i = 0; $i -lt $lines.Count; $i++) { if ($lines[$i] -match '^## \[(.+?)\]' -and $Matches[1] -ne 'Unreleased') { $i } })
    if (-not $start) { throw 'CHANGELOG.md has no version entry (## [x.y.z] - date).' }
    if ($lines[$start[0]] -notmatch "^## \[$([regex]::Escape($Version))\]") {
        throw "The latest entry of CHANGELOG.md is '$($lines[$start[0]])', not $Version (VersionPrefix in Directory.Build.props)."
    }
    $end = if ($start.Count -gt 1) { $start[1] } else { $lines.Count }
    $body = @($lines[($start[0] + 1)..($end - 1)] | Where-Object { $_ -notmatch '^\[[^\]]+\]:\s' })
    $notes = ($body -join "`n").Trim()
    if (-not $notes) { throw "The CHANGELOG.md entry for $Version is empty." }
    $notes
}

function Set-ManifestValue([string]$Manifest, [string]$Key, [string]$Value) {
    $pattern = "(?m)^(\s*$Key\s*=\s*)'[^']*'"
    if ($Manifest -notmatch $pattern) { throw "TokenManagement.psd1 has no $Key = '...' line to stamp." }
    [regex]::Replace($Manifest, $pattern, { param($m) $m.Groups[1].Value + "'" + $Value.Replace("'", "''") + "'" })
}

function Invoke-Clean {
    Remove-Item -Recurse -Force $Out -ErrorAction SilentlyContinue
    Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests') -Directory -Recurse -Include bin, obj |
        Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
}

function Invoke-Build {
    Push-Location $Root
    try {
        Write-BuildStep "Building TokenManagement.sln ($Configuration)"
        Invoke-Native dotnet build TokenManagement.sln -c $Configuration --nologo -v minimal
        Write-BuildStep "Publishing the token service to $ServerOut"
        Invoke-Native dotnet publish src/TokenManagement.Server -c $Configuration --no-build --nologo -v quiet -o $ServerOut
        Build-Module
    }
    finally { Pop-Location }
}

function Build-Module {
    $staging = Join-Path $Out 'obj/module'
    Remove-Item -Recurse -Force $ModuleOut, $staging -ErrorAction SilentlyContinue
    $bin = Join-Path $ModuleOut 'bin'
    New-Item -ItemType Directory -Path $bin | Out-Null

    # bin/: the cmdlet assembly (netstandard2.0, both editions) and the PowerShell 7 load-context loader.
    # bin/dependencies/<tfm>/: the client and its dependencies, for .NET (net8.0) and .NET Framework (netstandard2.0).
    $dependencySources = @{ 'net8.0' = 'src/TokenManagement.Client'; 'netstandard2.0' = 'src/TokenManagement' }
    foreach ($tfm in $dependencySources.Keys) {
        $publish = Join-Path $staging $tfm
        Write-BuildStep "Collecting the module's $tfm dependencies"
        Invoke-Native dotnet publish $dependencySources[$tfm] -c $Configuration -f $tfm --no-build --nologo -v quiet -o $publish
        $expected = $DependencyFiles[$tfm]
        $actual = Get-ChildItem $publish -Filter *.dll | Where-Object Name -ne 'TokenManagement.dll' | ForEach-Object Name
        $unexpected = @($actual | Where-Object { $_ -notin $expected })
        $missing = @($expected | Where-Object { $_ -notin $actual })
        if ($unexpected -or $missing) {
            throw "Module dependencies for $tfm differ from the list in build.ps1. Unexpected: $($unexpected -join ', '). Missing: $($missing -join ', ')."
        }
        $dependencies = Join-Path $bin "dependencies/$tfm"
        New-Item -ItemType Directory -Path $dependencies -Force | Out-Null
        $expected | ForEach-Object { Copy-Item (Join-Path $publish $_) $dependencies }
    }
    Copy-Item (Join-Path $staging 'netstandard2.0/TokenManagement.dll') $bin
    Copy-Item (Join-Path $Root "src/TokenManagement.Loader/bin/$Configuration/net8.0/TokenManagement.Loader.dll") $bin

    # One version source (Directory.Build.props) and the release notes (CHANGELOG.md), stamped into the manifest.
    $version = Get-ProjectVersion
    $manifest = Get-Content -Raw (Join-Path $Root 'TokenManagement.psd1')
    $manifest = Set-ManifestValue $manifest 'ModuleVersion' $version
    $manifest = Set-ManifestValue $manifest 'ReleaseNotes' (Get-ReleaseNotes $version)
    $manifestPath = Join-Path $ModuleOut 'TokenManagement.psd1'
    Set-Content -Path $manifestPath -Value $manifest -NoNewline
    Copy-Item (Join-Path $Root 'src/TokenManagement/TokenManagement.format.ps1xml') $ModuleOut
    Write-BuildStep 'Generating help from the module metadata and docs/en-US'
    # The help step imports the module to read its metadata: in a child pwsh, never in this build process.
    Invoke-Native dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'src/TokenManagement/Help/New-ExternalHelp.ps1') `
        -ModulePath $manifestPath -SourcePath (Join-Path $Root 'docs/en-US') -OutputPath (Join-Path $ModuleOut 'en-US')

    $expectedFiles = Get-ModuleFileList
    $actualFiles = Get-ChildItem $ModuleOut -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($ModuleOut, $_.FullName).Replace('\', '/') }
    $unexpected = @($actualFiles | Where-Object { $_ -notin $expectedFiles })
    $missing = @($expectedFiles | Where-Object { $_ -notin $actualFiles })
    if ($unexpected -or $missing) {
        throw "The module folder differs from the list in build.ps1. Unexpected: $($unexpected -join ', '). Missing: $($missing -join ', ')."
    }
    $tested = Test-ModuleManifest -Path $manifestPath -ErrorAction Stop
    if ("$($tested.Version)" -ne $version -or $tested.ReleaseNotes -ne (Get-ReleaseNotes $version)) { throw 'The built manifest does not carry the stamped version and release notes.' }
    Write-Host "Module $version assembled in $ModuleOut"
}

# The .nupkg, made by PSResourceGet itself from a copy of the module folder with LICENSE and CHANGELOG.md added.
function Invoke-Package {
    $version = Get-ProjectVersion
    $staging = Join-Path $Out 'obj/package/TokenManagement'
    Remove-Item -Recurse -Force (Split-Path $staging), $PackageOut -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Path (Split-Path $staging), $PackageOut | Out-Null
    Copy-Item -Recurse $ModuleOut $staging
    $PackageExtraFiles | ForEach-Object { Copy-Item (Join-Path $Root $_) $staging }
    Write-BuildStep 'Packaging the module with Compress-PSResource'
    Compress-PSResource -Path $staging -DestinationPath $PackageOut -Confirm:$false
    $package = Join-Path $PackageOut "TokenManagement.$version.nupkg"
    if (-not (Test-Path $package)) { throw "Compress-PSResource did not write $package." }

    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($package)
    try { $actual = @($zip.Entries | ForEach-Object FullName) } finally { $zip.Dispose() }
    $expected = @(Get-ModuleFileList) + $PackageExtraFiles + $NupkgFiles
    $unexpected = @($actual | Where-Object { $_ -notin $expected -and $_ -notmatch $NupkgPropertiesPattern })
    $missing = @($expected | Where-Object { $_ -notin $actual }) + @(if (-not ($actual -match $NupkgPropertiesPattern)) { 'package/services/metadata/core-properties/*.psmdcp' })
    if ($unexpected -or $missing) {
        throw "The package differs from the list in build.ps1. Unexpected: $($unexpected -join ', '). Missing: $($missing -join ', ')."
    }
    Write-Host "Package $package ($($actual.Count) files)"
}

function Get-PesterModulePath {
    Write-BuildStep 'Restoring Pester'
    Invoke-Native dotnet restore (Join-Path $Root 'tests/Pester/Pester.Restore.csproj') --nologo -v quiet
    $path = Get-ChildItem (Join-Path $Out 'tools/packages/pester/*/tools/Pester.psd1') | Select-Object -First 1
    if (-not $path) { throw 'Pester was not restored into out/tools/packages.' }
    $path.FullName
}

function Invoke-XunitProject {
    param([Parameter(Mandatory)][string]$Project)
    $name = [IO.Path]::GetFileNameWithoutExtension($Project)
    $trx = Join-Path $ResultsOut "$name.trx"
    Remove-Item $trx -ErrorAction SilentlyContinue
    Write-BuildStep "Running $name (xunit)"
    # Out-Host: the runner's lines show as they come instead of joining this function's output.
    & dotnet test $Project -c $Configuration --no-build --nologo --logger "trx;LogFileName=$name.trx" --logger 'console;verbosity=normal' --results-directory $ResultsOut | Out-Host
    if (-not (Test-Path $trx)) {
        return [pscustomobject]@{ Suite = $name; Passed = 0; Failed = 1; Skipped = 0; Failures = @("no results: the test run did not finish ($trx is missing)") }
    }
    $run = ([xml](Get-Content -Raw $trx)).TestRun
    $counters = $run.ResultSummary.Counters
    $failures = @(
        foreach ($test in @($run.Results.UnitTestResult) | Where-Object { $_ -and $_.outcome -ne 'Passed' -and $_.outcome -ne 'NotExecuted' }) {
            '{0}: {1}' -f $test.testName, ("$($test.Output.ErrorInfo.Message)" -split "`n")[0]
        }
    )
    [pscustomobject]@{ Suite = $name; Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted; Skipped = [int]$counters.notExecuted; Failures = $failures }
}

function Invoke-PesterSuites {
    $pester = Get-PesterModulePath
    $summary = Join-Path $ResultsOut 'pester.json'
    Remove-Item $summary -ErrorAction SilentlyContinue
    # A fresh pwsh: the module assembly is loaded there, never in this build process.
    $script = @'
param($PesterPath, $TestsPath, $SummaryPath, $ResultPath)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath
$config = New-PesterConfiguration
$config.Run.Path = $TestsPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ([Console]::IsOutputRedirected) {
    $config.Output.RenderMode = 'Plaintext'
    $PSStyle.OutputRendering = 'PlainText'
}
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = $ResultPath
$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# What failed, by name and first line of its error: the run's last lines say it, so a long log need not be searched.
$failures = @(
    foreach ($test in $result.Failed) { '{0}: {1}' -f $test.ExpandedPath, ("$($test.ErrorRecord | Select-Object -First 1)" -split "`n")[0] }
    foreach ($block in $result.FailedBlocks) { '{0} (block): {1}' -f ($block.Path -join '.'), ("$($block.ErrorRecord | Select-Object -First 1)" -split "`n")[0] }
    foreach ($container in $result.FailedContainers) { '{0} (file): {1}' -f $container.Item, ("$($container.ErrorRecord | Select-Object -First 1)" -split "`n")[0] }
)
@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount; Failures = $failures } | ConvertTo-Json | Set-Content -Path $SummaryPath
'@
    $scriptPath = Join-Path $ResultsOut 'run-pester.ps1'
    Set-Content -Path $scriptPath -Value $script
    Push-Location $Root
    try {
        Write-BuildStep "Running the Pester suites (tests/Pester) in a fresh pwsh"
        & dotnet pwsh -NoProfile -NonInteractive -File $scriptPath -PesterPath $pester -TestsPath (Join-Path $Root 'tests/Pester') `
            -SummaryPath $summary -ResultPath (Join-Path $ResultsOut 'pester.xml') | Out-Host
    }
    finally { Pop-Location }
    if (-not (Test-Path $summary)) {
        return [pscustomobject]@{ Suite = 'Pester'; Passed = 0; Failed = 1; Skipped = 0; Failures = @('no results: the Pester run did not finish') }
    }
    $counts = Get-Content -Raw $summary | ConvertFrom-Json
    [pscustomobject]@{ Suite = 'Pester'; Passed = [int]$counts.Passed; Failed = [int]$counts.Failed; Skipped = [int]$counts.Skipped; Failures = @($counts.Failures) }
}

# The runtimes PowerShell 7.4 (.NET 8) and 7.5 (.NET 9) run on: no such PowerShell is available here, so a
# self-contained host per runtime loads the built module's bin folder through the module's own loader and drives the
# client against a real server (tests/RuntimeProbe). Each prints 'probe: N passed, N failed'.
$ProbeRuntimes = @('net8.0', 'net9.0')

function Invoke-RuntimeProbes {
    Import-Module (Join-Path $Root 'tests/Pester/TokenServer.psm1') -Force
    $server = Start-TokenServer
    try {
        $credential = New-TokenServerUser -Server $server -AccountId 'acme-probe' -UserId 'probe@acme.example'
        foreach ($tfm in $ProbeRuntimes) {
            $publish = Join-Path $Out "probes/$tfm"
            $passed = 0
            $failed = 1
            $failures = @('the probe printed no count line')
            try {
                Write-BuildStep "Publishing the self-contained $tfm runtime probe, then running it"
                Invoke-Native dotnet publish (Join-Path $Root 'tests/RuntimeProbe') -c $Configuration -f $tfm --nologo -v quiet -o $publish "-p:ModuleBin=$(Join-Path $ModuleOut 'bin')"
                $lines = @(& (Join-Path $publish 'TokenManagement.RuntimeProbe') (Join-Path $ModuleOut 'bin') $server.Uri 'acme-probe' $credential.UserName $credential.GetNetworkCredential().Password 2>&1)
                $lines | Out-Host
                if ($lines[-1] -match '^probe: (\d+) passed, (\d+) failed$') {
                    $passed = [int]$Matches[1]
                    $failed = [int]$Matches[2]
                    $failures = @($lines | Where-Object { "$_" -like 'FAIL *' } | ForEach-Object { "$_".Substring(5) })
                }
            }
            catch {
                Write-Host "The $tfm probe could not run: $_"
                $failures = @("the probe could not run: $_")
            }
            [pscustomobject]@{ Suite = "RuntimeProbe $tfm"; Passed = $passed; Failed = $failed; Skipped = 0; Failures = $failures }
        }
    }
    finally { $server | Stop-TokenServer }
}

function Invoke-Test {
    try {
        Invoke-Build
        Invoke-Package
    }
    catch {
        # The run still ends with its count line: a build that fails is one failure, not a silent stop.
        Write-Host "The build failed: $_"
        Write-Host '0 passed, 1 failed, 0 skipped'
        exit 1
    }
    New-Item -ItemType Directory -Path $ResultsOut -Force | Out-Null
    $results = @(
        foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Recurse -Filter '*.Tests.csproj') {
            Invoke-XunitProject -Project $project.FullName
        }
        Invoke-RuntimeProbes
        Invoke-PesterSuites
    )
    $results | Format-Table -AutoSize Suite, Passed, Failed, Skipped | Out-String | Write-Host
    $failures = @($results | Where-Object Failures | ForEach-Object { foreach ($failure in $_.Failures) { "  [$($_.Suite)] $failure" } })
    if ($failures) {
        Write-Host 'Failed:'
        $failures | Write-Host
        Write-Host ''
    }
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    $skipped = ($results | Measure-Object Skipped -Sum).Sum
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

# The demo and the sandbox: a local server on a temp SQLite file with demo users, and the administrator's credential
# in the BOOMI_* variables for a child pwsh (the module is never loaded into this build process).
function Invoke-WithDemoServer {
    param([Parameter(Mandatory)][scriptblock]$Child)
    Import-Module (Join-Path $Root 'tests/Pester/TestHelpers.psm1') -Force
    $demo = New-DemoEnvironment
    $values = @{
        BOOMI_ACCOUNT_ID  = $demo.AccountId
        BOOMI_USERNAME    = $demo.Admin.UserId
        BOOMI_API_TOKEN   = $demo.Admin.Token
        BOOMI_API_URI     = $demo.Server.Uri
        DEMO_LEAKED_TOKEN = $demo.Leaked
    }
    $saved = @{}
    foreach ($name in $values.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    Push-Location $Root
    try {
        foreach ($name in $values.Keys) { [Environment]::SetEnvironmentVariable($name, $values[$name]) }
        & $Child $demo
    }
    finally {
        Pop-Location
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        $demo.Server | Stop-TokenServer
    }
}

function Invoke-Demo {
    Invoke-Build
    Invoke-WithDemoServer {
        param($demo)
        $server = $demo.Server
        Write-Host "The token service is listening on $($server.Uri) (database $($server.Database))."
        Write-Host "Account $($demo.AccountId): administrator $($demo.Admin.UserId); users $(($demo.Users.UserId) -join ', ') hold some tokens."
        $walkThrough = @'
param([Parameter(Mandatory)][string]$ModulePath)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# Written to a file or a pipe: plain text, no colour codes (warnings and errors too).
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }

function Write-Step([string]$Title, [string]$Text) {
    Write-Host ''
    Write-Host "=== $Title ===" -ForegroundColor Cyan
    if ($Text) { Write-Host $Text }
}
function Write-Command([string]$Command) { Write-Host "PS> $Command" -ForegroundColor Yellow }
function Invoke-Shown([scriptblock]$Block) {
    Write-Command $Block.ToString().Trim()
    & $Block | Out-String -Width 200 | Write-Host
}
function Assert-Demo([bool]$Condition, [string]$Message) {
    if (-not $Condition) { throw "Demo check failed: $Message" }
}

try {
    Import-Module $ModulePath

    Write-Step 'Connect' ("An administrator connects. Without parameters Connect-AtomSphere reads BOOMI_ACCOUNT_ID, BOOMI_USERNAME,`n" +
        'BOOMI_API_TOKEN and BOOMI_API_URI. The connection shows the first 6 characters of its token, never the token.')
    Write-Command '$connection = Connect-AtomSphere -PassThru'
    $connection = Connect-AtomSphere -PassThru
    $connection | Format-Table | Out-String -Width 200 | Write-Host
    Assert-Demo ("$($connection.State)" -eq 'Open') 'the connection is open'

    Write-Step 'Create a token' ("At a prompt, New-ApiToken alone shows the new value once, on the screen only. Captured in a variable,`n" +
        'as here, it is shown nowhere: $ci.Token holds it as a SecureString, and a warning says it cannot be retrieved again.')
    Write-Command '$ci = New-ApiToken -Name ''ci-pipeline'''
    $ci = New-ApiToken -Name 'ci-pipeline'
    $ci | Format-List Name, Id, UserId, TokenPrefix, Status, CreatedUtc, Token | Out-String -Width 200 | Write-Host
    Assert-Demo ($ci.Token -is [securestring]) 'the value is a SecureString'
    Write-Command 'New-ApiToken -Name ''temp-smoke-test'' -WarningAction SilentlyContinue | Out-Null'
    New-ApiToken -Name 'temp-smoke-test' -WarningAction SilentlyContinue | Out-Null

    Write-Step 'List tokens' 'Your own tokens, then (as an administrator) every user''s.'
    Invoke-Shown { Get-ApiToken | Format-Table }
    Invoke-Shown { Get-ApiToken -AllUsers | Format-Table }
    Assert-Demo (@(Get-ApiToken -AllUsers).Count -ge 7) 'the administrator sees every user''s tokens'

    Write-Step 'Rename a token' ''
    Invoke-Shown { Rename-ApiToken -Name 'ci-pipeline' -NewName 'ci-pipeline-2026' -PassThru | Format-Table }
    Assert-Demo (@(Get-ApiToken -Name 'ci-pipeline-2026').Count -eq 1) 'the token has its new name'

    Write-Step 'Disable and enable a token' 'A disabled token cannot authenticate until it is enabled again.'
    Invoke-Shown { Disable-ApiToken -Name 'ci-pipeline-2026' -PassThru | Format-Table }
    Assert-Demo ("$((Get-ApiToken -Name 'ci-pipeline-2026').Status)" -eq 'Disabled') 'the token is disabled'
    Invoke-Shown { Enable-ApiToken -Name 'ci-pipeline-2026' -PassThru | Format-Table }
    Assert-Demo ("$((Get-ApiToken -Name 'ci-pipeline-2026').Status)" -eq 'Enabled') 'the token is enabled'

    Write-Step 'Revoke a token: first ask what would happen' 'Revoking is permanent, so Remove-ApiToken asks for confirmation; -WhatIf only reports.'
    Invoke-Shown { Remove-ApiToken -Name 'ci-pipeline-2026' -WhatIf }
    Invoke-Shown { Get-ApiToken -Name 'ci-pipeline-2026' | Format-Table }
    Assert-Demo (@(Get-ApiToken -Name 'ci-pipeline-2026').Count -eq 1) '-WhatIf changed nothing'

    Write-Step 'Revoke it for real' 'In a script, -Confirm:$false answers the confirmation. Remove-ApiToken is also available as Revoke-ApiToken.'
    Invoke-Shown { Remove-ApiToken -Name 'ci-pipeline-2026' -Confirm:$false -PassThru | Format-Table }
    Invoke-Shown { Get-ApiToken | Format-Table }
    Assert-Demo (@(Get-ApiToken -Name 'ci-pipeline*').Count -eq 0) 'the token is gone'

    Write-Step 'Bulk-revoke through the pipeline' 'Every user''s temporary tokens, found with a wildcard, revoked in one pipeline.'
    Invoke-Shown { Get-ApiToken -AllUsers -Name 'temp-*' | Format-Table }
    $temporary = @(Get-ApiToken -AllUsers -Name 'temp-*')
    Assert-Demo ($temporary.Count -ge 3) 'there are temporary tokens to revoke'
    Invoke-Shown { Get-ApiToken -AllUsers -Name 'temp-*' | Remove-ApiToken -Confirm:$false -PassThru | Format-Table }
    Assert-Demo (@(Get-ApiToken -AllUsers -Name 'temp-*').Count -eq 0) 'every temporary token is gone'

    Write-Step 'A leaked token' 'Someone pasted a token value into a chat. Find whose it is by its value, then revoke it.'
    Write-Command '$leaked = Read-Host -AsSecureString ''Leaked token''   # here: read from DEMO_LEAKED_TOKEN'
    $leaked = [securestring]::new()
    foreach ($c in $env:DEMO_LEAKED_TOKEN.ToCharArray()) { $leaked.AppendChar($c) }
    $env:DEMO_LEAKED_TOKEN = $null
    Invoke-Shown { Get-ApiToken -AllUsers -Token $leaked | Format-Table }
    $found = @(Get-ApiToken -AllUsers -Token $leaked)
    Assert-Demo ($found.Count -eq 1) 'the leaked token is found by its value'
    Invoke-Shown { Remove-ApiToken -Token $leaked -Confirm:$false -PassThru | Format-Table }
    Assert-Demo (@(Get-ApiToken -AllUsers -Token $leaked -ErrorAction SilentlyContinue).Count -eq 0) 'the leaked token is revoked'
    Assert-Demo (@(Get-ApiToken -AllUsers -Id $found[0].Id -ErrorAction SilentlyContinue).Count -eq 0) 'the leaked token is gone'

    Write-Step 'What is left' ''
    Invoke-Shown { Get-ApiToken -AllUsers | Format-Table }
    Invoke-Shown { Disconnect-AtomSphere }
    Invoke-Shown { Get-AtomSphereConnection | Format-Table }

    Write-Host ''
    Write-Host 'The walk-through completed.' -ForegroundColor Green
    exit 0
}
catch {
    Write-Host ''
    Write-Host "The walk-through FAILED: $($_.Exception.Message)" -ForegroundColor Red
    Write-Host ($_ | Out-String)
    Write-Host $_.ScriptStackTrace
    exit 1
}
'@
        $walkThroughPath = Join-Path $server.WorkPath 'demo.ps1'
        Set-Content -Path $walkThroughPath -Value $walkThrough
        & dotnet pwsh -NoProfile -NonInteractive -File $walkThroughPath -ModulePath (Join-Path $ModuleOut 'TokenManagement.psd1')
        if ($LASTEXITCODE -ne 0) { throw "The demo failed (exit code $LASTEXITCODE)." }
    }
}

function Invoke-Sandbox {
    Invoke-Build
    # The module is loaded only in the interactive child pwsh, connected as the administrator of a local server.
    Invoke-WithDemoServer {
        param($demo)
        $server = $demo.Server
        $modulePath = (Join-Path $ModuleOut 'TokenManagement.psd1').Replace("'", "''")
        $startup = @"
Import-Module '$modulePath'
`$connection = Connect-AtomSphere -PassThru
`$leaked = [securestring]::new(); foreach (`$c in `$env:DEMO_LEAKED_TOKEN.ToCharArray()) { `$leaked.AppendChar(`$c) }
`$env:DEMO_LEAKED_TOKEN = `$null
Write-Host ''
Write-Host 'TokenManagement sandbox' -ForegroundColor Cyan
Write-Host "Connected to `$(`$connection.Uri) as `$(`$connection.UserId) (an administrator of account `$(`$connection.AccountId))."
Write-Host 'alice@acme.example and bob@acme.example hold some tokens; `$leaked holds the value of one of them.'
Write-Host 'Try:'
Write-Host '  Get-ApiToken -AllUsers | Format-Table'
Write-Host '  New-ApiToken -Name ''my-token'''
Write-Host '  Rename-ApiToken -Name ''my-token'' -NewName ''my-renamed-token'' -PassThru'
Write-Host '  Disable-ApiToken -Name ''my-renamed-token'' -PassThru'
Write-Host '  Get-ApiToken -AllUsers -Name ''temp-*'' | Remove-ApiToken -WhatIf'
Write-Host '  Get-ApiToken -AllUsers -Token `$leaked | Remove-ApiToken'
Write-Host '  Get-Help Remove-ApiToken -Examples; Get-Help about_TokenManagement'
Write-Host 'The local server stops when you leave this shell (exit).'
"@
        $startupPath = Join-Path $server.WorkPath 'sandbox.ps1'
        Set-Content -Path $startupPath -Value $startup
        & dotnet pwsh -NoProfile -NoExit -Command ". '$($startupPath.Replace("'", "''"))'"
    }
}

function Invoke-Benchmark {
    Invoke-Build
    & (Join-Path $Root 'tests/Benchmarks/Benchmarks.ps1')
}

switch ($Task) {
    'Clean' { Invoke-Clean }
    'Build' { Invoke-Build }
    'Package' { Invoke-Build; Invoke-Package }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Sandbox' { Invoke-Sandbox }
    'Benchmark' { Invoke-Benchmark }
}
