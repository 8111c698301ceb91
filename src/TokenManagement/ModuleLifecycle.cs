using System.Management.Automation;
using TokenManagement.Infrastructure;
using TokenManagement.Loading;

namespace TokenManagement;

/// <summary>
/// Import-Module / Remove-Module hooks, called in the runspace that imports or removes the module: the dependency
/// loader stays on while any runspace has the module; removal closes only that runspace's connections.
/// </summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object s_sync = new();
    private static int s_imports;

    public void OnImport()
    {
        lock (s_sync)
        {
            DependencyLoader.Register();
            s_imports++;
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (s_sync)
        {
            try
            {
                CloseConnections();
            }
            finally
            {
                if (--s_imports <= 0)
                {
                    s_imports = 0;
                    DependencyLoader.Unregister();
                }
            }
        }
    }

    // Separate method: only JIT-compiled (and so only touching the client) while the loader is still registered.
    private static void CloseConnections() => ConnectionRegistry.Current.CloseAll();
}
