#Requires -Version 7.2
# Another module loaded an older or newer Microsoft.Extensions.* first (design notes: dependency isolation).
# Each case runs in a NEW pwsh: Add-Type that version, import the module, then connect and New/Get/Remove a token.

BeforeDiscovery {
    $packages = Join-Path $PSScriptRoot '../../out/tools/packages'
    $cases = foreach ($package in 'microsoft.extensions.dependencyinjection.abstractions', 'microsoft.extensions.http') {
        foreach ($version in '8.0.0', '11.0.0') {
            @{ Package = $package; Version = $version; Packages = $packages }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'TokenServer.psm1') -Force
    $server = Start-TokenServer
    $account = 'acme-conflict'
    $user = New-TestUser -Server $server -AccountId $account -UserId 'alice@acme.example'

    # The child's script: reports one JSON line prefixed with RESULT:.
    $childScript = Join-Path $TestDrive 'conflict.ps1'
    Set-Content -Path $childScript -Value @'
param([string]$ModulePath, [string]$DllPath, [string]$Uri, [string]$AccountId, [string]$UserId, [string]$TokenName)
$ErrorActionPreference = 'Stop'
$result = [ordered]@{ Success = $false; Step = 'add-type'; Preloaded = $null; CreatedId = $null; FoundId = $null; RemainingAfterRemove = $null; Error = $null; ExtensionsAssemblies = @() }
try {
    Add-Type -Path $DllPath
    $result.Preloaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { -not $_.IsDynamic -and $_.Location -eq $DllPath })[0].FullName
    $result.Step = 'import'
    Import-Module $ModulePath
    $result.Step = 'connect'
    $secure = [securestring]::new()
    foreach ($c in $env:TM_CONFLICT_TEST_TOKEN.ToCharArray()) { $secure.AppendChar($c) }
    Connect-AtomSphere -AccountId $AccountId -Credential ([pscredential]::new($UserId, $secure)) -Uri $Uri
    $result.Step = 'new'
    $created = New-ApiToken -Name $TokenName -WarningAction SilentlyContinue
    $result.CreatedId = $created.Id
    $result.Step = 'get'
    $found = @(Get-ApiToken -Name $TokenName)
    $result.FoundId = @($found.Id)
    $result.Step = 'remove'
    Remove-ApiToken -Id $created.Id -Confirm:$false
    $result.RemainingAfterRemove = @(Get-ApiToken -Name "$TokenName*").Count
    $result.Step = 'done'
    $result.Success = $true
}
catch {
    $result.Error = ($_ | Out-String) + "`n" + $_.Exception.ToString()
}
$result.ExtensionsAssemblies = @([AppDomain]::CurrentDomain.GetAssemblies() |
    Where-Object { $_.GetName().Name -like 'Microsoft.Extensions.*' } |
    ForEach-Object { "$($_.GetName().Name) $($_.GetName().Version) [$([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name)]" })
'RESULT:' + ($result | ConvertTo-Json -Compress -Depth 4)
'@

    function Invoke-ConflictChild([string]$DllPath, [string]$TokenName) {
        $env:TM_CONFLICT_TEST_TOKEN = $user.Token   # not on the command line
        Push-Location (Get-RepoRoot)                 # dotnet pwsh: the local tool manifest
        try {
            $output = & dotnet pwsh -NoProfile -NonInteractive -File $childScript -ModulePath (Get-TestModulePath) -DllPath $DllPath `
                -Uri $server.Uri -AccountId $account -UserId $user.UserId -TokenName $TokenName 2>&1
        }
        finally {
            Pop-Location
            Remove-Item Env:TM_CONFLICT_TEST_TOKEN -ErrorAction SilentlyContinue
        }
        $line = @($output | ForEach-Object { "$_" } | Where-Object { $_.StartsWith('RESULT:') }) | Select-Object -Last 1
        if (-not $line) { throw "The child pwsh reported no result. Output:`n$($output -join "`n")" }
        $line.Substring('RESULT:'.Length) | ConvertFrom-Json
    }
}

AfterAll {
    if ($server) { $server | Stop-TokenServer }
}

Describe 'Another module loaded <Package> <Version> first' -ForEach $cases {
    BeforeAll {
        $lib = Join-Path $Packages "$Package/$Version/lib"
        $dll = @('net8.0', 'netstandard2.0' | ForEach-Object { Get-ChildItem (Join-Path $lib $_) -Filter '*.dll' -ErrorAction SilentlyContinue }) |
            Select-Object -First 1
        $tokenName = "conflict-$($Package.Split('.')[-1])-$Version"
        $result = if ($dll) { Invoke-ConflictChild -DllPath $dll.FullName -TokenName $tokenName } else { $null }
    }

    It 'has the package restored by build.ps1' {
        $dll | Should -Not -BeNullOrEmpty -Because "build.ps1 restores $Package $Version into out/tools/packages"
    }

    It 'loaded the other version first' {
        $result.Preloaded | Should -Match ([regex]::Escape("Version=$($Version.Split('.')[0])."))
    }

    It 'imports the module, connects, creates, finds and revokes a token' {
        $result.Error | Should -BeNullOrEmpty
        $result.Step | Should -Be 'done'
        $result.Success | Should -BeTrue
        $result.CreatedId | Should -Not -BeNullOrEmpty
        @($result.FoundId) | Should -Be @($result.CreatedId)
        $result.RemainingAfterRemove | Should -Be 0
    }

    It 'left the server as it found it (the token was revoked)' {
        $result.CreatedId | Should -Not -BeNullOrEmpty
        Get-ServerToken -User $user -Id $result.CreatedId | Should -BeNullOrEmpty
        @(Get-ServerToken -User $user).name | Should -Not -Contain $tokenName
    }
}
