using System.Management.Automation;
using TokenManagement.Infrastructure;
using TokenManagement.Loading;

namespace TokenManagement;

/// <summary>Import-Module / Remove-Module hooks: the dependency loader on, connections closed and the loader off.</summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => DependencyLoader.Register();

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        try
        {
            CloseConnections();
        }
        finally
        {
            DependencyLoader.Unregister();
        }
    }

    // Separate method: only JIT-compiled (and so only touching the client) while the loader is still registered.
    private static void CloseConnections() => ConnectionRegistry.CloseAll();
}
