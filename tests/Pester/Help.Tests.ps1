#Requires -Version 7.2
# The help a user gets with Get-Help: every exported cmdlet is documented (spec: module files, en-US help).

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    # The spec's list, not the module's: a cmdlet missing from the module still gets (failing) help tests.
    $cmdlets = @(Get-SpecCmdletName | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $commonParameters = @([System.Management.Automation.PSCmdlet]::CommonParameters) + @([System.Management.Automation.PSCmdlet]::OptionalCommonParameters)

    function Get-Text($Value) { (($Value | Out-String -Width 4096) -replace '\s+', ' ').Trim() }
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $command = Get-Command $Name -ErrorAction SilentlyContinue
        $help = if ($command) { Get-Help $Name -Full } else { $null }
        $documented = if ($help -and $help.PSObject.Properties['parameters'] -and $help.parameters -and $help.parameters.PSObject.Properties['parameter']) {
            @($help.parameters.parameter)
        }
        else { @() }
    }

    It 'is exported by the module' {
        $command | Should -Not -BeNullOrEmpty
        $command.ModuleName | Should -Be 'TokenManagement'
    }

    It 'has a synopsis, not the generated syntax' {
        $synopsis = Get-Text $help.Synopsis
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -BeLike "$Name *"
        $synopsis | Should -Not -BeLike '*{{*'   # no template placeholders
    }

    It 'has a description' {
        $description = Get-Text $help.description
        $description | Should -Not -BeNullOrEmpty
        $description | Should -Not -BeLike '*{{*'
    }

    It 'has at least one example with code' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 1
        foreach ($example in $examples) {
            Get-Text $example.code | Should -Not -BeNullOrEmpty
        }
    }

    It 'has examples that use the cmdlet' {
        $code = @($help.examples.example | ForEach-Object { $_.code | Out-String }) -join "`n"
        $code | Should -Match ([regex]::Escape($Name))
    }

    It 'documents every parameter with a description' {
        $parameters = @($command.Parameters.Keys | Where-Object { $_ -notin $commonParameters })
        $undocumented = @(foreach ($parameter in $parameters) {
                $entry = $documented | Where-Object name -EQ $parameter
                if (-not $entry -or -not (Get-Text $entry.description)) { $parameter }
            })
        $undocumented | Should -BeNullOrEmpty -Because 'every parameter (except the common ones) needs help text'
    }

    It 'documents no parameter the cmdlet does not have' {
        $stale = @($documented.name | Where-Object { $_ -and $_ -notin $command.Parameters.Keys })
        $stale | Should -BeNullOrEmpty
    }
}

Describe 'about_TokenManagement' {
    It 'ships as en-US/about_TokenManagement.help.txt' {
        Join-Path (Split-Path (Get-TestModulePath)) 'en-US/about_TokenManagement.help.txt' | Should -Exist
    }

    It 'is shown by Get-Help about_TokenManagement' {
        $about = Get-Help about_TokenManagement -ErrorAction SilentlyContinue | Out-String
        $about | Should -Match 'about_TokenManagement'
        $about | Should -Match 'Connect-AtomSphere'
    }
}
