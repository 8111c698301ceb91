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

    It 'describes each parameter as the cmdlet declares it (type, mandatory, position, pipeline input, wildcards)' {
        $differences = foreach ($entry in $documented) {
            $metadata = $command.Parameters[$entry.name]
            $sets = @($metadata.ParameterSets.Values)
            $type = [Nullable]::GetUnderlyingType($metadata.ParameterType) ?? $metadata.ParameterType
            $position = @($sets | Where-Object Position -GE 0 | ForEach-Object Position | Select-Object -First 1)
            $byValue = [bool]($sets | Where-Object ValueFromPipeline)
            $byName = [bool]($sets | Where-Object ValueFromPipelineByPropertyName)
            $expected = [ordered]@{
                type          = if ($type.IsArray) { "$(([Nullable]::GetUnderlyingType($type.GetElementType()) ?? $type.GetElementType()).Name)[]" } else { $type.Name }
                required      = ([bool]($sets | Where-Object IsMandatory)).ToString().ToLower()
                position      = if ($position.Count) { "$($position[0])" } else { 'named' }
                pipelineInput = if ($byValue -or $byName) { 'True (' + (@(if ($byName) { 'ByPropertyName' }; if ($byValue) { 'ByValue' }) -join ', ') + ')' } else { 'False' }
                globbing      = ([bool]($metadata.Attributes | Where-Object { $_ -is [SupportsWildcards] })).ToString().ToLower()
            }
            $actual = @{ type = $entry.type.name; required = "$($entry.required)"; position = "$($entry.position)"; pipelineInput = "$($entry.pipelineInput)"; globbing = "$($entry.globbing)" }
            foreach ($field in $expected.Keys) {
                if ($actual[$field] -ne $expected[$field]) { "-$($entry.name) $field`: help '$($actual[$field])', cmdlet '$($expected[$field])'" }
            }
        }
        $differences | Should -BeNullOrEmpty
    }
}

Describe 'The help step' {
    # The help step (src/TokenManagement/Help/New-ExternalHelp.ps1, run by build.ps1) refuses markdown that
    # contradicts the module's metadata. Here it runs, like in the build, in its own pwsh, on a copy of docs/en-US with
    # one deliberate mismatch of each kind.
    BeforeAll {
        $docs = Join-Path $TestDrive 'docs'
        $output = Join-Path $TestDrive 'en-US'
        Copy-Item -Recurse (Join-Path (Get-RepoRoot) 'docs/en-US') $docs
        function Edit-Page([string]$Page, [string]$Old, [string]$New) {
            $path = Join-Path $docs "$Page.md"
            $text = Get-Content -Raw $path
            if (-not $text.Contains($Old)) { throw "$Page.md has no '$Old'." }
            Set-Content -Path $path -Value $text.Replace($Old, $New) -NoNewline
        }
        # Rename-ApiToken -Name has no [SupportsWildcards]: saying it takes wildcards is a mismatch.
        Edit-Page 'Rename-ApiToken' 'It is a literal: wildcards are not supported' 'Wildcard characters are permitted'
        # Get-ApiToken -UserId has [SupportsWildcards]: no longer saying so is one too.
        Edit-Page 'Get-ApiToken' 'Wildcard characters are permitted, with the same rules' 'Patterns follow the same rules'
        # The code initialises -ThrottleLimit to 16.
        Edit-Page 'Disable-ApiToken' 'Default value: 16' 'Default value: 8'
        # A parameter the cmdlet does not have, and a parameter without a section.
        Edit-Page 'New-ApiToken' '### -AsPlainText' "### -Vault`nStores the value in a vault.`n`n### -AsPlainText"
        Edit-Page 'Get-AtomSphereConnection' '### -Id' '### Id numbers'
        # Inputs and outputs: Disconnect-AtomSphere takes connections from the pipeline and writes nothing.
        Edit-Page 'Disconnect-AtomSphere' '### TokenManagement.AtomSphereConnection' '### System.String'
        Edit-Page 'Disconnect-AtomSphere' "## OUTPUTS`n`n### None" "## OUTPUTS`n`n### TokenManagement.ApiToken"
        # A related link with an address would become Get-Help -Online's target.
        Edit-Page 'Get-ApiToken' '[New-ApiToken](New-ApiToken.md)' '[Unrelated](https://example.com/unrelated)'

        $script = Join-Path (Get-RepoRoot) 'src/TokenManagement/Help/New-ExternalHelp.ps1'
        $text = & dotnet pwsh -NoProfile -NonInteractive -File $script -ModulePath (Get-TestModulePath) -SourcePath $docs -OutputPath $output 2>&1 | Out-String
        $exitCode = $LASTEXITCODE
        $text = $text -replace '\e\[[0-9;]*m' -replace '\s+', ' '
    }

    It 'fails and writes no help' {
        $exitCode | Should -Not -Be 0
        $output | Should -Not -Exist
    }

    It 'names cmdlet, parameter and field: <Expected>' -ForEach @(
        @{ Expected = 'Rename-ApiToken -Name: wildcard support' }
        @{ Expected = 'Get-ApiToken -UserId: wildcard support' }
        @{ Expected = "Disable-ApiToken -ThrottleLimit: default value: the help says '8', the cmdlet initialises it to '16'" }
        @{ Expected = 'New-ApiToken -Vault: documented' }
        @{ Expected = 'Get-AtomSphereConnection -Id: documented' }
        @{ Expected = 'Disconnect-AtomSphere -Connection: pipeline input' }
        @{ Expected = 'Disconnect-AtomSphere: output type' }
        @{ Expected = "Get-ApiToken: related links: 'Unrelated' has an address" }
    ) {
        $text | Should -BeLike "*$Expected*"
    }

    It 'Get-Help -Online has nowhere unrelated to go: no cmdlet has a HelpUri' {
        foreach ($name in Get-SpecCmdletName) { "$name '$((Get-Command $name).HelpUri)'" | Should -Be "$name ''" }
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
