@{
    RootModule           = 'bin/TokenManagement.dll'
    ModuleVersion        = '0.0.0'   # stamped at build from VersionPrefix in Directory.Build.props
    GUID                 = '5d1f7c3e-8a2b-4e6f-9c41-2b7d3e9a6f18'
    Author               = 'TokenManagement contributors'
    CompanyName          = 'TokenManagement contributors'
    Copyright            = '(c) TokenManagement contributors. MIT License.'
    Description          = 'Manage AtomSphere (Boomi Enterprise Platform) API tokens from PowerShell: list, create, rename, disable, enable and revoke them, one at a time or in bulk from a pipeline (revoke every stale token of an account, find and revoke a leaked token by its value), unattended from environment variables. Binary cmdlets for PowerShell 7 and Windows PowerShell 5.1.'
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
        'Get-AtomSphereAuditLog'
        'Invoke-ApiTokenRotation'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @('Revoke-ApiToken')
    PrivateData          = @{
        PSData = @{
            Tags         = @('Boomi', 'AtomSphere', 'ApiToken', 'Token', 'Security', 'PSEdition_Core', 'PSEdition_Desktop')
            # LicenseUri and ProjectUri are left out: the project has no public address yet. The license ships in the
            # package as LICENSE.
            # Stamped at build: the text of the latest entry of CHANGELOG.md.
            ReleaseNotes = ''
        }
    }
}
