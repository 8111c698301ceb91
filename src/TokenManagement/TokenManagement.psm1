# TokenManagement root module: imports the cmdlet assembly built for this edition of PowerShell.
#   PowerShell 7 (Core)         bin/net8.0/TokenManagement.dll
#   Windows PowerShell 5.1      bin/netstandard2.0/TokenManagement.dll
# The client and its dependencies (Microsoft.Extensions.*) stay in bin/<tfm>/dependencies, a folder PowerShell does
# not probe; the cmdlet assembly's module initializer loads them from there (its own AssemblyLoadContext on .NET).

using namespace System.IO
using namespace System.Management.Automation
using namespace System.Reflection

# The real Import-Module, even if a function or alias shadows it.
$importModule = $ExecutionContext.InvokeCommand.GetCommand('Microsoft.PowerShell.Core\Import-Module', [CommandTypes]::Cmdlet)

$moduleName = [Path]::GetFileNameWithoutExtension($PSCommandPath)
$framework = if ($PSEdition -eq 'Core') { 'net8.0' } else { 'netstandard2.0' }
$assemblyPath = [Path]::Combine($PSScriptRoot, 'bin', $framework, "$moduleName.dll")

# An assembly cannot be unloaded: once one copy of the module is loaded in this process, it is the only one usable.
$loadedType = 'TokenManagement.ModuleLifecycle' -as [type]
$isReload = [bool]$loadedType
if ($loadedType -and [Path]::GetFullPath($loadedType.Assembly.Location) -ne [Path]::GetFullPath($assemblyPath)) {
    $message = "Cannot import $moduleName from '$PSScriptRoot': another copy is already loaded in this process from " +
        "'$($loadedType.Assembly.Location)'. Start a new PowerShell process to use this copy."
    throw [ErrorRecord]::new(
        [InvalidOperationException]::new($message),
        'ModuleAlreadyLoadedFromDifferentPath',
        [ErrorCategory]::ResourceExists,
        $assemblyPath)
}

$innerModule = & $importModule -Name $assemblyPath -ErrorAction Stop -PassThru

if ($isReload -and $innerModule) {
    # Re-import (Import-Module -Force) of an assembly already loaded: PowerShell may hand back its cached module
    # without adding the cmdlets to this module's exports (PowerShell/PowerShell#20710); add them here.
    $addExportedCmdlet = [PSModuleInfo].GetMethod('AddExportedCmdlet', [BindingFlags]'Instance, NonPublic')
    $addExportedAlias = [PSModuleInfo].GetMethod('AddExportedAlias', [BindingFlags]'Instance, NonPublic')
    foreach ($cmdlet in $innerModule.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
    }
    foreach ($alias in $innerModule.ExportedAliases.Values) {
        $addExportedAlias.Invoke($ExecutionContext.SessionState.Module, @(, $alias))
    }
}
