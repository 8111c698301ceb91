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

    private static Assembly? OnDefaultResolving(AssemblyLoadContext context, AssemblyName name) =>
        string.Equals(name.Name, ClientAssemblyName, StringComparison.Ordinal) && s_context is not null
            ? s_context.LoadFromAssemblyName(name)
            : null;

    private sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string _directory;
        private Dictionary<string, string>? _platformAssemblies;

        public DependencyLoadContext(string directory)
            : base("TokenManagement.Dependencies", isCollectible: false)
        {
            _directory = directory;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name is null)
            {
                return null;
            }

            string path = Path.Combine(_directory, assemblyName.Name + ".dll");
            if (!File.Exists(path) || RuntimeProvidesAtLeast(assemblyName.Name, path))
            {
                // null: the default context answers (the runtime's and PowerShell's own assemblies).
                return null;
            }

            return LoadFromAssemblyPath(path);
        }

        /// <summary>
        /// True when the runtime itself (its trusted platform assemblies, never another module's) has this assembly
        /// in the same or a newer version: then the framework's copy is used, so that types such as
        /// System.Diagnostics.Metrics.IMeterFactory are the very ones System.Net.Http knows.
        /// </summary>
        private bool RuntimeProvidesAtLeast(string simpleName, string bundledPath)
        {
            _platformAssemblies ??= ReadPlatformAssemblies();
            if (!_platformAssemblies.TryGetValue(simpleName, out string? platformPath))
            {
                return false;
            }

            try
            {
                Version? platform = AssemblyName.GetAssemblyName(platformPath).Version;
                Version? bundled = AssemblyName.GetAssemblyName(bundledPath).Version;
                return platform is not null && bundled is not null && platform >= bundled;
            }
            catch (Exception)
            {
                return false;
            }
        }

        private static Dictionary<string, string> ReadPlatformAssemblies()
        {
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)
            {
                foreach (string path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                {
                    map[Path.GetFileNameWithoutExtension(path)] = path;
                }
            }

            return map;
        }
    }
}
