#Requires -Version 7.2
<#
.SYNOPSIS
Builds, tests, demonstrates and benchmarks TokenManagement.

.DESCRIPTION
Run through the local tool manifest so that every machine uses the same PowerShell:
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test

Tasks:
  Clean      removes out/ and every bin/ and obj/ folder.
  Build      builds the solution, assembles the module in out/TokenManagement and the server in out/server.
  Test       Build, then the xunit projects and the Pester suites, each in its own process; ends with 'N passed, N failed'.
  Demo       Build, then walks through the module's story against a local server.
  Sandbox    Build, then an interactive pwsh with the module imported and connected to a local server.
  Benchmark  Build, then the benchmarks (docs/performance.md).
#>
[CmdletBinding()]
param(
    [ValidateSet('Clean', 'Build', 'Test', 'Demo', 'Sandbox', 'Benchmark')]
    [string]$Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ProgressPreference = 'SilentlyContinue'

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'TokenManagement'
$ServerOut = Join-Path $Out 'server'
$ResultsOut = Join-Path $Out 'test-results'
$ModuleFrameworks = 'net8.0', 'netstandard2.0'

# The module folder is assembled from this list and nothing else: a missing or unexpected file fails the build.
$ModuleFiles = @(
    'TokenManagement.psd1'
    'TokenManagement.psm1'
    'TokenManagement.format.ps1xml'
    'en-US/TokenManagement.dll-Help.xml'
    'en-US/about_TokenManagement.help.txt'
)
$DependencyFiles = @{
    'net8.0'         = @(
        'TokenManagement.Client.dll'
    )
    'netstandard2.0' = @(
        'TokenManagement.Client.dll'
    )
}

function Invoke-Native {
    param([Parameter(Mandatory)][string]$FilePath, [Parameter(ValueFromRemainingArguments)][string[]]$Arguments)
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-ProjectVersion {
    $props = [xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))
    $version = @($props.Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
    if (-not $version) { throw 'Directory.Build.props has no VersionPrefix.' }
    $version
}

function Invoke-Clean {
    Remove-Item -Recurse -Force $Out -ErrorAction SilentlyContinue
    Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests') -Directory -Recurse -Include bin, obj |
        Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
}

function Invoke-Build {
    Push-Location $Root
    try {
        Invoke-Native dotnet build TokenManagement.sln -c $Configuration --nologo -v minimal
        Invoke-Native dotnet publish src/TokenManagement.Server -c $Configuration --no-build --nologo -v quiet -o $ServerOut
        Build-Module
    }
    finally { Pop-Location }
}

function Build-Module {
    $staging = Join-Path $Out 'obj/module'
    Remove-Item -Recurse -Force $ModuleOut, $staging -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Path $ModuleOut | Out-Null

    foreach ($tfm in $ModuleFrameworks) {
        $publish = Join-Path $staging $tfm
        Invoke-Native dotnet publish src/TokenManagement -c $Configuration -f $tfm --no-build --nologo -v quiet -o $publish
        $bin = Join-Path $ModuleOut "bin/$tfm"
        $dependencies = Join-Path $bin 'dependencies'
        New-Item -ItemType Directory -Path $dependencies -Force | Out-Null
        Copy-Item (Join-Path $publish 'TokenManagement.dll') $bin
        $expected = $DependencyFiles[$tfm]
        $actual = Get-ChildItem $publish -Filter *.dll | Where-Object Name -ne 'TokenManagement.dll' | ForEach-Object Name
        $unexpected = @($actual | Where-Object { $_ -notin $expected })
        $missing = @($expected | Where-Object { $_ -notin $actual })
        if ($unexpected -or $missing) {
            throw "Module dependencies for $tfm differ from the list in build.ps1. Unexpected: $($unexpected -join ', '). Missing: $($missing -join ', ')."
        }
        $expected | ForEach-Object { Copy-Item (Join-Path $publish $_) $dependencies }
    }

    $manifest = Get-Content -Raw (Join-Path $Root 'TokenManagement.psd1')
    $version = Get-ProjectVersion
    $stamped = $manifest -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$version'"
    if ($stamped -eq $manifest -and $manifest -notmatch "ModuleVersion\s*=\s*'$([regex]::Escape($version))'") {
        throw 'TokenManagement.psd1 has no ModuleVersion line to stamp.'
    }
    Set-Content -Path (Join-Path $ModuleOut 'TokenManagement.psd1') -Value $stamped -NoNewline
    Copy-Item (Join-Path $Root 'src/TokenManagement/TokenManagement.psm1') $ModuleOut
    Copy-Item (Join-Path $Root 'src/TokenManagement/TokenManagement.format.ps1xml') $ModuleOut
    & (Join-Path $Root 'src/TokenManagement/Help/New-ExternalHelp.ps1') -SourcePath (Join-Path $Root 'docs/en-US') -OutputPath (Join-Path $ModuleOut 'en-US')

    $expectedFiles = @($ModuleFiles) + @(foreach ($tfm in $ModuleFrameworks) {
            "bin/$tfm/TokenManagement.dll"
            $DependencyFiles[$tfm] | ForEach-Object { "bin/$tfm/dependencies/$_" }
        })
    $actualFiles = Get-ChildItem $ModuleOut -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($ModuleOut, $_.FullName).Replace('\', '/') }
    $unexpected = @($actualFiles | Where-Object { $_ -notin $expectedFiles })
    $missing = @($expectedFiles | Where-Object { $_ -notin $actualFiles })
    if ($unexpected -or $missing) {
        throw "The module folder differs from the list in build.ps1. Unexpected: $($unexpected -join ', '). Missing: $($missing -join ', ')."
    }
    Write-Host "Module $version assembled in $ModuleOut"
}

function Get-PesterModulePath {
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
    & dotnet test $Project -c $Configuration --no-build --nologo --logger "trx;LogFileName=$name.trx" --logger 'console;verbosity=normal' --results-directory $ResultsOut
    if (-not (Test-Path $trx)) {
        return [pscustomobject]@{ Suite = $name; Passed = 0; Failed = 1; Skipped = 0 }
    }
    $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
    [pscustomobject]@{ Suite = $name; Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted; Skipped = [int]$counters.notExecuted }
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
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = $ResultPath
$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount } | ConvertTo-Json | Set-Content -Path $SummaryPath
'@
    $scriptPath = Join-Path $ResultsOut 'run-pester.ps1'
    Set-Content -Path $scriptPath -Value $script
    Push-Location $Root
    try {
        & dotnet pwsh -NoProfile -NonInteractive -File $scriptPath -PesterPath $pester -TestsPath (Join-Path $Root 'tests/Pester') `
            -SummaryPath $summary -ResultPath (Join-Path $ResultsOut 'pester.xml')
    }
    finally { Pop-Location }
    if (-not (Test-Path $summary)) {
        return [pscustomobject]@{ Suite = 'Pester'; Passed = 0; Failed = 1; Skipped = 0 }
    }
    $counts = Get-Content -Raw $summary | ConvertFrom-Json
    [pscustomobject]@{ Suite = 'Pester'; Passed = [int]$counts.Passed; Failed = [int]$counts.Failed; Skipped = [int]$counts.Skipped }
}

function Invoke-Test {
    Invoke-Build
    New-Item -ItemType Directory -Path $ResultsOut -Force | Out-Null
    $results = @(
        foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Recurse -Filter '*.Tests.csproj') {
            Invoke-XunitProject -Project $project.FullName
        }
        Invoke-PesterSuites
    )
    $results | Format-Table -AutoSize | Out-String | Write-Host
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    $skipped = ($results | Measure-Object Skipped -Sum).Sum
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    Import-Module (Join-Path $Root 'tests/Pester/TokenServer.psm1') -Force
    $server = Start-TokenServer
    try {
        Write-Host "The token service is listening on $($server.Uri) (database $($server.Database))."
        Write-Host 'The module walk-through comes with the module issue.'
    }
    finally { $server | Stop-TokenServer }
}

function Invoke-Sandbox {
    Invoke-Build
    throw 'The sandbox comes with the module issue.'
}

function Invoke-Benchmark {
    Invoke-Build
    Write-Host 'The benchmarks come with the bulk-performance issue; nothing is measured yet.'
}

switch ($Task) {
    'Clean' { Invoke-Clean }
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Sandbox' { Invoke-Sandbox }
    'Benchmark' { Invoke-Benchmark }
}
