@{
    RootModule           = 'bin/TokenManagement.dll'
    ModuleVersion        = '0.0.0'
    GUID                 = '5d1f7c3e-8a2b-4e6f-9c41-2b7d3e9a6f18'
    Author               = 'TokenManagement contributors'
    CompanyName          = 'TokenManagement contributors'
    Copyright            = '(c) TokenManagement contributors. MIT License.'
    Description          = 'Manage AtomSphere (Boomi Enterprise Platform) API tokens: list, create, rename, disable, enable and revoke them from PowerShell.'
    CompatiblePSEditions = @('Desktop', 'Core')
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @('TokenManagement.format.ps1xml')
    CmdletsToExport      = @(
        'Connect-AtomSphere'
        'Disconnect-AtomSphere'
        'Get-AtomSphereConnection'
        'Select-AtomSphereConnection'
        'Get-ApiToken'
        'New-ApiToken'
        'Rename-ApiToken'
        'Enable-ApiToken'
        'Disable-ApiToken'
        'Remove-ApiToken'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @('Revoke-ApiToken')
    PrivateData          = @{
        PSData = @{
            Tags = @('Boomi', 'AtomSphere', 'ApiToken', 'Token', 'Security', 'PSEdition_Core', 'PSEdition_Desktop')
        }
    }
}
