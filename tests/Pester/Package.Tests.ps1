#Requires -Version 7.2
# The package a user installs: out/packages/TokenManagement.<version>.nupkg (./build.ps1 -Task Package), installed
# with PSResourceGet from a local file repository into a fresh folder, in a fresh pwsh, then used against a real server.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TokenServer.psm1') -Force
    $root = Get-RepoRoot
    $version = @(([xml](Get-Content -Raw (Join-Path $root 'Directory.Build.props'))).Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
    $package = Join-Path $root "out/packages/TokenManagement.$version.nupkg"
    if (-not (Test-Path $package)) { throw "There is no $package. Run ./build.ps1 -Task Package first." }
    $moduleOut = Split-Path (Get-TestModulePath)

    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($package)
    try {
        $entries = @($zip.Entries | ForEach-Object FullName)
        function Read-Entry([string]$Name) {
            $reader = [IO.StreamReader]::new($zip.GetEntry($Name).Open())
            try { $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        $nuspec = [xml](Read-Entry 'TokenManagement.nuspec')
        $packaged = @{ LICENSE = Read-Entry 'LICENSE'; 'CHANGELOG.md' = Read-Entry 'CHANGELOG.md' }
    }
    finally { $zip.Dispose() }

    # The latest version entry of CHANGELOG.md, as the manifest's ReleaseNotes must carry it.
    $changelog = (Get-Content -Raw (Join-Path $root 'CHANGELOG.md')) -replace "`r`n", "`n"
    $latest = [regex]::Match($changelog, "(?ms)^## \[$([regex]::Escape($version))\][^\n]*\n(.*?)(?=^## \[|\z)").Groups[1].Value.Trim()

    # A fresh pwsh whose home, data, config and cache folders are a temp folder: Install-PSResource -Scope CurrentUser
    # installs into <temp>/.local/share/powershell/Modules, and the repository registration goes to the temp folder's
    # PSResourceGet store, never to this machine's.
    $server = Start-TokenServer
    $user = New-TestUser -Server $server -AccountId 'acme-install' -UserId 'installer@acme.example' -Admin -TokenName 'installer'
    New-ServerToken -User $user -Name 'to-revoke' | Out-Null
    New-ServerToken -User $user -Name 'to-keep' | Out-Null
    $fakeHome = Join-Path $TestDrive 'home'
    $modules = Join-Path $fakeHome '.local/share/powershell/Modules'
    $repository = Join-Path $TestDrive 'repository'
    $repositoryName = 'TokenManagementTest-' + [Guid]::NewGuid().ToString('n').Substring(0, 8)
    New-Item -ItemType Directory -Path (Join-Path $fakeHome '.local/share'), (Join-Path $fakeHome '.config'), (Join-Path $fakeHome '.cache'), $repository | Out-Null
    Copy-Item $package $repository
    $resultPath = Join-Path $TestDrive 'result.json'
    $child = Join-Path $TestDrive 'install.ps1'
    Set-Content -Path $child -Value @'
param($RepositoryName, $Repository, $Modules, $Uri, $AccountId, $UserId, $ResultPath)
$ErrorActionPreference = 'Stop'
$result = [ordered]@{}
try {
    Register-PSResourceRepository -Name $RepositoryName -Uri $Repository -Trusted -Confirm:$false
    try {
        $installed = Install-PSResource -Name TokenManagement -Repository $RepositoryName -Scope CurrentUser -TrustRepository -Quiet -Confirm:$false -PassThru
        $result.Installed = "$($installed.Name) $($installed.Version) $($installed.InstalledLocation)"
    }
    finally {
        Unregister-PSResourceRepository -Name $RepositoryName -Confirm:$false
        $result.StillRegistered = @(Get-PSResourceRepository | Where-Object Name -EQ $RepositoryName).Count
        $result.RepositoryStore = (Get-ChildItem ([Environment]::GetFolderPath('LocalApplicationData')) -Recurse -Filter PSResourceRepository.xml).FullName
    }
    $env:PSModulePath = $Modules + [IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module TokenManagement
    $module = Get-Module TokenManagement
    $result.ModuleBase = $module.ModuleBase
    $result.ModuleVersion = "$($module.Version)"
    $manifest = Test-ModuleManifest -Path (Join-Path $module.ModuleBase 'TokenManagement.psd1')
    $result.Manifest = @{ Description = $manifest.Description; Tags = @($manifest.Tags); ReleaseNotes = $manifest.ReleaseNotes
        LicenseUri = "$($manifest.LicenseUri)"; ProjectUri = "$($manifest.ProjectUri)" }
    $result.Synopsis = (Get-Help Remove-ApiToken).Synopsis
    $result.Examples = @((Get-Help Remove-ApiToken -Examples).examples.example).Count
    $result.ParameterGlobbing = "$((Get-Help Get-ApiToken -Parameter Name).globbing)"
    $result.About = [bool]((Get-Help about_TokenManagement | Out-String) -match 'SHORT DESCRIPTION')
    $credential = [pscredential]::new($UserId, (ConvertTo-SecureString $env:TM_TEST_TOKEN -AsPlainText -Force))
    Connect-AtomSphere -AccountId $AccountId -Credential $credential -Uri $Uri
    $result.Listed = @(Get-ApiToken | ForEach-Object Name | Sort-Object)
    $result.Revoked = @(Remove-ApiToken -Name 'to-revoke' -Confirm:$false -PassThru | ForEach-Object Name)
    $result.After = @(Get-ApiToken | ForEach-Object Name | Sort-Object)
    Disconnect-AtomSphere
}
catch { $result.Error = "$_ $($_.ScriptStackTrace)" }
$result | ConvertTo-Json -Depth 5 | Set-Content -Path $ResultPath
'@
    $environment = @{
        HOME = $fakeHome; XDG_DATA_HOME = Join-Path $fakeHome '.local/share'; XDG_CONFIG_HOME = Join-Path $fakeHome '.config'
        XDG_CACHE_HOME = Join-Path $fakeHome '.cache'; TM_TEST_TOKEN = $user.Token; PSModulePath = $null
    }
    $arguments = @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', $child, '-RepositoryName', $repositoryName,
        '-Repository', $repository, '-Modules', $modules, '-Uri', $server.Uri, '-AccountId', $user.AccountId, '-UserId', $user.UserId, '-ResultPath', $resultPath)
    $process = Start-Process -FilePath dotnet -ArgumentList $arguments -Environment $environment -NoNewWindow -PassThru `
        -RedirectStandardOutput (Join-Path $TestDrive 'stdout.txt') -RedirectStandardError (Join-Path $TestDrive 'stderr.txt')
    if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw 'The install pwsh did not end within 2 minutes.' }
    if (-not (Test-Path $resultPath)) { throw "The install pwsh wrote no result: $(Get-Content -Raw (Join-Path $TestDrive 'stderr.txt'))" }
    $result = Get-Content -Raw $resultPath | ConvertFrom-Json
}

AfterAll {
    if ($server) { $server | Stop-TokenServer }
}

Describe 'The package' {
    It 'holds exactly the built module, LICENSE, CHANGELOG.md and the files of every .nupkg' {
        $module = @(Get-ChildItem $moduleOut -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($moduleOut, $_.FullName).Replace('\', '/') })
        $expected = $module + 'LICENSE', 'CHANGELOG.md', 'TokenManagement.nuspec', '[Content_Types].xml', '_rels/.rels'
        $properties = @($entries | Where-Object { $_ -match '^package/services/metadata/core-properties/[0-9a-f]{32}\.psmdcp$' })
        $properties.Count | Should -Be 1
        @($entries | Where-Object { $_ -notin $properties } | Sort-Object) | Should -Be @($expected | Sort-Object)
    }

    It 'carries the repository''s LICENSE and CHANGELOG.md' {
        $packaged.LICENSE | Should -BeExactly (Get-Content -Raw (Join-Path $root 'LICENSE'))
        $packaged['CHANGELOG.md'] | Should -BeExactly (Get-Content -Raw (Join-Path $root 'CHANGELOG.md'))
        $packaged.LICENSE | Should -Match '(?s)^MIT License.*Copyright \(c\) TokenManagement contributors'
    }

    It 'is the version of TokenManagement, with the latest CHANGELOG.md entry as release notes' {
        $nuspec.package.metadata.id | Should -Be 'TokenManagement'
        $nuspec.package.metadata.version | Should -Be $version
        ($nuspec.package.metadata.releaseNotes -replace "`r`n", "`n") | Should -BeExactly $latest
    }
}

Describe 'Installing the package with Install-PSResource' {
    It 'runs in a fresh pwsh without an error' {
        $result.PSObject.Properties['Error'] | Should -BeNullOrEmpty
    }

    It 'installs the version into the fresh folder' {
        $result.Installed | Should -Be "TokenManagement $version $modules"
        $installed = Join-Path $modules "TokenManagement/$version"
        $files = @(Get-ChildItem $installed -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($installed, $_.FullName).Replace('\', '/') })
        # The installer adds its own record, PSGetModuleInfo.xml; everything else is the package's content.
        $content = @($entries | Where-Object { $_ -notmatch '^(TokenManagement\.nuspec|\[Content_Types\]\.xml|_rels/|package/)' })
        @($files | Sort-Object) | Should -Be @(@($content) + 'PSGetModuleInfo.xml' | Sort-Object)
    }

    It 'leaves no repository registered, and registered none on this machine' {
        $result.StillRegistered | Should -Be 0
        $result.RepositoryStore | Should -BeLike "$fakeHome*"
        @(Get-PSResourceRepository | Where-Object Name -EQ $repositoryName) | Should -BeNullOrEmpty
    }

    It 'imports by name from that folder' {
        $result.ModuleBase | Should -Be (Join-Path $modules "TokenManagement/$version")
        $result.ModuleVersion | Should -Be $version
    }

    It 'has a manifest complete for a gallery, with no invented addresses' {
        $result.Manifest.Description | Should -Match 'AtomSphere'
        $result.Manifest.Tags | Should -Contain 'AtomSphere'
        ($result.Manifest.ReleaseNotes -replace "`r`n", "`n") | Should -BeExactly $latest
        $result.Manifest.LicenseUri | Should -BeNullOrEmpty
        $result.Manifest.ProjectUri | Should -BeNullOrEmpty
    }

    It 'answers Get-Help' {
        $result.Synopsis | Should -Match 'Revokes'
        $result.Examples | Should -BeGreaterThan 0
        $result.ParameterGlobbing | Should -Be 'true'
        $result.About | Should -BeTrue
    }

    It 'connects, lists and revokes against a real server' {
        $result.Listed | Should -Be @('installer', 'to-keep', 'to-revoke')
        $result.Revoked | Should -Be @('to-revoke')
        $result.After | Should -Be @('installer', 'to-keep')
        @(Get-ServerToken -User $user | ForEach-Object name | Sort-Object) | Should -Be @('installer', 'to-keep')
    }
}
