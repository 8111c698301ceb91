using System.Reflection;
using System.Runtime.Loader;

namespace TokenManagement.Loader;

/// <summary>
/// PowerShell 7: TokenManagement.Client and its dependencies (Microsoft.Extensions.*, ...) load into this private
/// context from the dependencies folder, so that other modules' versions of the same assemblies neither break us nor
/// are broken by us. The default context is asked only for "TokenManagement.Client" (by the cmdlet assembly) and
/// forwards that one name here.
/// </summary>
public static class ModuleLoadContext
{
    private const string ClientAssemblyName = "TokenManagement.Client";
    private static readonly object s_sync = new();

    // One context for the life of the process: an assembly cannot be unloaded, and the cmdlet assembly stays bound to
    // the client it first resolved even across Remove-Module / Import-Module.
    private static DependencyLoadContext? s_context;
    private static bool s_registered;

    /// <summary>Called by the cmdlet assembly's module initializer (through reflection).</summary>
    public static void Install(string dependencyDirectory)
    {
        lock (s_sync)
        {
            if (s_registered)
            {
                return;
            }

            s_context ??= new DependencyLoadContext(dependencyDirectory);
            AssemblyLoadContext.Default.Resolving += OnDefaultResolving;
            s_registered = true;
        }
    }

    /// <summary>Called on Remove-Module.</summary>
    public static void Uninstall()
    {
        lock (s_sync)
        {
            if (!s_registered)
            {
                return;
            }

            AssemblyLoadContext.Default.Resolving -= OnDefaultResolving;
            s_registered = false;
        }
    }

    /// <summary>Only the client and Microsoft.Extensions.* are the module's own to load; everything else is the runtime's.</summary>
    internal static bool LoadsPrivately(string? simpleName) =>
        simpleName is not null
        && (string.Equals(simpleName, ClientAssemblyName, StringComparison.Ordinal)
            || simpleName.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal));

    private static Assembly? OnDefaultResolving(AssemblyLoadContext context, AssemblyName name) =>
        string.Equals(name.Name, ClientAssemblyName, StringComparison.Ordinal) && s_context is not null
            ? s_context.LoadFromAssemblyName(name)
            : null;

    private sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string _directory;

        public DependencyLoadContext(string directory)
            : base("TokenManagement.Dependencies", isCollectible: false)
        {
            _directory = directory;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (!LoadsPrivately(assemblyName.Name))
            {
                // null: the default context answers: the runtime's assemblies (System.*, whatever the runtime
                // carries) and PowerShell's own, never a private copy of them.
                return null;
            }

            string path = Path.Combine(_directory, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

    }
}
