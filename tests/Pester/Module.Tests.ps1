#Requires -Version 7.2
# The built module as a user installs it: manifest, exports, types, output types, format views (spec: "Module files").

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $outputTypes = @(
        @{ Name = 'Connect-AtomSphere'; Type = 'TokenManagement.AtomSphereConnection' }
        @{ Name = 'Get-AtomSphereConnection'; Type = 'TokenManagement.AtomSphereConnection' }
        @{ Name = 'Get-ApiToken'; Type = 'TokenManagement.ApiToken' }
        @{ Name = 'Get-AtomSphereAuditLog'; Type = 'TokenManagement.AuditLogEntry' }
        @{ Name = 'New-ApiToken'; Type = 'TokenManagement.CreatedApiToken' }
        @{ Name = 'Rename-ApiToken'; Type = 'TokenManagement.ApiToken' }
        @{ Name = 'Enable-ApiToken'; Type = 'TokenManagement.ApiToken' }
        @{ Name = 'Disable-ApiToken'; Type = 'TokenManagement.ApiToken' }
        @{ Name = 'Remove-ApiToken'; Type = 'TokenManagement.ApiToken' }
        @{ Name = 'Invoke-ApiTokenRotation'; Type = 'TokenManagement.CreatedApiToken' }
        @{ Name = 'Invoke-ApiTokenRotation'; Type = 'TokenManagement.ApiToken' }
    )
    $cmdlets = @(Get-SpecCmdletName | ForEach-Object { @{ Name = $_ } })
    $targetCmdlets = @('Rename-ApiToken', 'Enable-ApiToken', 'Disable-ApiToken', 'Remove-ApiToken', 'Invoke-ApiTokenRotation' | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModules
    $manifestPath = Get-TestModulePath
    $manifest = Import-PowerShellDataFile $manifestPath
    $module = Get-Module TokenManagement
    $props = [xml](Get-Content -Raw (Join-Path (Get-RepoRoot) 'Directory.Build.props'))
    $versionPrefix = @($props.Project.PropertyGroup | ForEach-Object { $_['VersionPrefix'] } | Where-Object { $_ } | ForEach-Object InnerText)[0]

    function Get-ViewColumns($View) {
        $control = $View.Control
        if ($control -is [System.Management.Automation.TableControl]) {
            $row = $control.Rows[0]
            for ($i = 0; $i -lt $row.Columns.Count; $i++) {
                $label = if ($i -lt $control.Headers.Count) { $control.Headers[$i].Label }
                if ($label) { $label } else { $row.Columns[$i].DisplayEntry.Value }
            }
        }
        elseif ($control -is [System.Management.Automation.ListControl]) {
            foreach ($item in $control.Entries[0].Items) {
                if ($item.Label) { $item.Label } else { $item.DisplayEntry.Value }
            }
        }
    }
}

Describe 'Module manifest' {
    It 'is a valid manifest' {
        { Test-ModuleManifest -Path $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'has the version of Directory.Build.props (VersionPrefix)' {
        $versionPrefix | Should -Not -BeNullOrEmpty
        $manifest.ModuleVersion | Should -Be $versionPrefix
        $module.Version | Should -Be ([version]$versionPrefix)
    }

    It 'declares Desktop and Core, PowerShell 5.1, the root module and the format file' {
        $manifest.RootModule | Should -Be 'bin/TokenManagement.dll'
        @($manifest.CompatiblePSEditions | Sort-Object) | Should -Be @('Core', 'Desktop')
        $manifest.PowerShellVersion | Should -Be '5.1'
        @($manifest.FormatsToProcess) | Should -Be @('TokenManagement.format.ps1xml')
    }

    It 'lists its exports explicitly' {
        @($manifest.CmdletsToExport | Sort-Object) | Should -Be @(Get-SpecCmdletName | Sort-Object)
        @($manifest.AliasesToExport) | Should -Be @('Revoke-ApiToken')
        @($manifest.FunctionsToExport) | Should -BeNullOrEmpty
        @($manifest.VariablesToExport) | Should -BeNullOrEmpty
    }
}

Describe 'Exported commands' {
    It "exports exactly the spec's cmdlets" {
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @(Get-SpecCmdletName | Sort-Object)
    }

    It 'exports exactly the alias Revoke-ApiToken for Remove-ApiToken' {
        @($module.ExportedAliases.Keys) | Should -Be @('Revoke-ApiToken')
        $module.ExportedAliases['Revoke-ApiToken'].ResolvedCommandName | Should -Be 'Remove-ApiToken'
    }

    It 'exports no functions and no variables' {
        $module.ExportedFunctions.Keys | Should -BeNullOrEmpty
        $module.ExportedVariables.Keys | Should -BeNullOrEmpty
    }

    It '<Name> is a public sealed class in TokenManagement.Commands named after the cmdlet' -ForEach $cmdlets {
        $command = Get-Command $Name -ErrorAction Stop
        $command.ImplementingType.FullName | Should -Be "TokenManagement.Commands.$($Name.Replace('-', ''))Command"
        $command.ImplementingType.IsSealed | Should -BeTrue
        $command.ImplementingType.IsPublic | Should -BeTrue
    }

    It '<Name> declares [OutputType(<Type>)]' -ForEach $outputTypes {
        $command = Get-Command $Name -ErrorAction Stop
        @($command.OutputType.Name) | Should -Contain $Type
    }

    It '<Name> exposes no client or Microsoft.Extensions type in a parameter or an output type' -ForEach $cmdlets {
        $command = Get-Command $Name -ErrorAction Stop
        $types = @($command.Parameters.Values.ParameterType) + @($command.OutputType.Type | Where-Object { $_ })
        foreach ($type in $types) {
            $element = if ($type.HasElementType) { $type.GetElementType() } else { $type }
            $element.Assembly.GetName().Name | Should -Not -BeLike 'Microsoft.Extensions.*' -Because "$Name uses $element"
            $element.Assembly.GetName().Name | Should -Not -Be 'TokenManagement.Client' -Because "$Name uses $element"
        }
    }

    It '<Name> supports the -Connection parameter' -ForEach @($cmdlets | Where-Object { $_.Name -like '*-ApiToken' }) {
        (Get-Command $Name).Parameters['Connection'].ParameterType.FullName | Should -Be 'TokenManagement.AtomSphereConnection'
    }

    It '<Name> has the InputObject, Id and Name target sets' -ForEach $targetCmdlets {
        $command = Get-Command $Name -ErrorAction Stop
        $command.ParameterSets.Name | Should -Contain 'InputObject'
        $command.ParameterSets.Name | Should -Contain 'Id'
        $command.ParameterSets.Name | Should -Contain 'Name'
        $inputObject = $command.Parameters['InputObject']
        $inputObject.ParameterType.FullName | Should -Be 'TokenManagement.ApiToken'
        @($inputObject.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline }) | Should -Not -BeNullOrEmpty
        @($command.Parameters['Id'].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipelineByPropertyName }) | Should -Not -BeNullOrEmpty
    }

    It 'Remove-ApiToken has the Token set taking SecureStrings, also from the pipeline' {
        $command = Get-Command Remove-ApiToken
        $command.ParameterSets.Name | Should -Contain 'Token'
        $command.Parameters['Token'].ParameterType | Should -Be ([securestring[]])
        @($command.Parameters['Token'].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline }) | Should -Not -BeNullOrEmpty
        (Get-Command Get-ApiToken).Parameters['Token'].ParameterType | Should -Be ([securestring])
    }

    It '<Name> supports ShouldProcess with ConfirmImpact <Impact>' -ForEach @(
        @{ Name = 'New-ApiToken'; Impact = 'Low' }
        @{ Name = 'Rename-ApiToken'; Impact = 'Medium' }
        @{ Name = 'Enable-ApiToken'; Impact = 'Medium' }
        @{ Name = 'Disable-ApiToken'; Impact = 'Medium' }
        @{ Name = 'Remove-ApiToken'; Impact = 'High' }
        @{ Name = 'Invoke-ApiTokenRotation'; Impact = 'High' }
    ) {
        $command = Get-Command $Name -ErrorAction Stop
        $attribute = $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true) | Select-Object -First 1
        $attribute.SupportsShouldProcess | Should -BeTrue
        $attribute.ConfirmImpact | Should -Be ([System.Management.Automation.ConfirmImpact]$Impact)
        $command.Parameters.Keys | Should -Contain 'WhatIf'
    }

    It 'Get-ApiToken supports paging (-First, -Skip, -IncludeTotalCount)' {
        $parameters = (Get-Command Get-ApiToken).Parameters
        $parameters.Keys | Should -Contain 'First'
        $parameters.Keys | Should -Contain 'Skip'
        $parameters.Keys | Should -Contain 'IncludeTotalCount'
    }
}

Describe 'Types' {
    It 'ApiToken is a public, not sealed class with the spec''s properties' {
        $type = [TokenManagement.ApiToken]
        $type.IsPublic | Should -BeTrue
        $type.IsSealed | Should -BeFalse
        $type.GetProperty('Id').PropertyType | Should -Be ([string])
        $type.GetProperty('Name').PropertyType | Should -Be ([string])
        $type.GetProperty('UserId').PropertyType | Should -Be ([string])
        $type.GetProperty('AccountId').PropertyType | Should -Be ([string])
        $type.GetProperty('TokenPrefix').PropertyType | Should -Be ([string])
        $type.GetProperty('Status').PropertyType | Should -Be ([TokenManagement.ApiTokenStatus])
        $type.GetProperty('CreatedDate').PropertyType | Should -Be ([datetime])
        $type.GetProperty('LastUsedDate').PropertyType | Should -Be ([Nullable[datetime]])
        $type.GetProperty('CreatedUtc').PropertyType | Should -Be ([string])
        $type.GetProperty('LastUsedUtc').PropertyType | Should -Be ([string])
        $type.GetProperty('Age').PropertyType | Should -Be ([timespan])
        $type.GetProperty('DaysSinceLastUse').PropertyType | Should -Be ([int])
        $type.GetProperty('Token') | Should -BeNullOrEmpty -Because 'only CreatedApiToken carries a value'
    }

    It 'ApiTokenStatus is Enabled, Disabled or Revoked (Revoked only on what Remove-ApiToken -PassThru writes)' {
        [enum]::GetNames([TokenManagement.ApiTokenStatus]) | Sort-Object | Should -Be @('Disabled', 'Enabled', 'Revoked')
        (Get-Command Get-ApiToken).Parameters['Status'].Attributes.Where({ $_ -is [System.Management.Automation.ValidateSetAttribute] }).ValidValues |
            Sort-Object | Should -Be @('Disabled', 'Enabled') -Because 'the service lists no revoked tokens'
    }

    It 'CreatedApiToken derives from ApiToken and adds Token' {
        [TokenManagement.CreatedApiToken].BaseType | Should -Be ([TokenManagement.ApiToken])
        [TokenManagement.CreatedApiToken].GetProperty('Token').PropertyType | Should -Be ([object])
    }

    It 'AtomSphereConnection has the spec''s properties and none that holds a secret' {
        $type = [TokenManagement.AtomSphereConnection]
        foreach ($name in 'Id', 'AccountId', 'UserId', 'Uri', 'TokenPrefix', 'ConnectedAt', 'IsDefault', 'State') {
            $type.GetProperty($name) | Should -Not -BeNullOrEmpty -Because "the spec lists $name"
        }
        $type.GetProperty('Id').PropertyType | Should -Be ([int])
        $type.GetProperty('IsDefault').PropertyType | Should -Be ([bool])
        foreach ($property in $type.GetProperties()) {
            $property.PropertyType | Should -Not -Be ([securestring]) -Because "$($property.Name) must not hold the token"
            $property.PropertyType | Should -Not -Be ([pscredential]) -Because "$($property.Name) must not hold the credential"
            $property.PropertyType | Should -Not -Be ([System.Net.NetworkCredential]) -Because "$($property.Name) must not hold the credential"
        }
        @($type.GetProperties().Name) | Should -Not -Contain 'Token'
        @($type.GetProperties().Name) | Should -Not -Contain 'Credential'
    }
}

Describe 'Format views' {
    It 'TokenManagement.ApiToken has a table view with Name, UserId, Status, LastUsedUtc, Id' {
        $data = Get-FormatData -TypeName 'TokenManagement.ApiToken'
        $data | Should -Not -BeNullOrEmpty
        $table = @($data.FormatViewDefinition | Where-Object { $_.Control -is [System.Management.Automation.TableControl] })
        $table | Should -Not -BeNullOrEmpty
        $columns = @(Get-ViewColumns $table[0])
        $columns | Should -Be @('Name', 'UserId', 'Status', 'LastUsedUtc', 'Id')
    }

    It 'TokenManagement.ApiToken has a list view that includes Id' {
        $data = Get-FormatData -TypeName 'TokenManagement.ApiToken'
        $list = @($data.FormatViewDefinition | Where-Object { $_.Control -is [System.Management.Automation.ListControl] })
        $list | Should -Not -BeNullOrEmpty
        @(Get-ViewColumns $list[0]) | Should -Contain 'Id'
    }

    It 'TokenManagement.AtomSphereConnection has a table view with Id, AccountId, UserId, Uri, State, IsDefault' {
        $data = Get-FormatData -TypeName 'TokenManagement.AtomSphereConnection'
        $data | Should -Not -BeNullOrEmpty
        $table = @($data.FormatViewDefinition | Where-Object { $_.Control -is [System.Management.Automation.TableControl] })
        $table | Should -Not -BeNullOrEmpty
        $columns = @(Get-ViewColumns $table[0])
        foreach ($name in 'Id', 'AccountId', 'UserId', 'Uri', 'State', 'IsDefault') {
            $columns | Should -Contain $name
        }
    }
}

Describe 'Module folder' {
    It 'has one cmdlet assembly for both editions, with the loader beside it and nothing of the client' {
        $bin = Join-Path (Split-Path $manifestPath) 'bin'
        Join-Path $bin 'TokenManagement.dll' | Should -Exist
        Join-Path $bin 'TokenManagement.Loader.dll' | Should -Exist
        @(Get-ChildItem $bin -Filter '*.dll' -File).Name | Sort-Object | Should -Be @('TokenManagement.dll', 'TokenManagement.Loader.dll') -Because 'dependencies sit in dependencies/<tfm>, where PowerShell does not probe'
    }

    It 'has the client and its dependencies for <_> in a dependencies folder' -ForEach 'net8.0', 'netstandard2.0' {
        $dependencies = Join-Path (Split-Path $manifestPath) "bin/dependencies/$_"
        Join-Path $dependencies 'TokenManagement.Client.dll' | Should -Exist
        Join-Path $dependencies 'Microsoft.Extensions.Http.dll' | Should -Exist
    }

    It 'loads the client and Microsoft.Extensions.* into its own load context on PowerShell 7' {
        $server = Start-TokenServer
        try {
            $user = New-TestUser -Server $server -AccountId 'acme-alc' -UserId 'alice@acme.example'
            $connection = Connect-AtomSphere -AccountId 'acme-alc' -Credential $user.Credential -Uri $server.Uri -PassThru
            @(Get-ApiToken -Connection $connection) | Should -HaveCount 1
            Disconnect-AtomSphere -Connection $connection
        }
        finally { $server | Stop-TokenServer }
        $client = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'TokenManagement.Client' }
        $client | Should -HaveCount 1
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($client).Name | Should -Be 'TokenManagement.Dependencies'
        $http = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($client).Assemblies | Where-Object { $_.GetName().Name -eq 'Microsoft.Extensions.Http' }
        $http | Should -HaveCount 1
    }
}
