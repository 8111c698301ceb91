using System.Reflection;
#if NET
using System.Runtime.Loader;
#endif

namespace TokenManagement.Loading;

/// <summary>
/// Makes TokenManagement.Client and its dependencies (Microsoft.Extensions.*, ...) load from bin/&lt;tfm&gt;/dependencies,
/// a folder PowerShell does not probe, so that other modules' versions of the same assemblies neither break us nor
/// are broken by us.
/// <list type="bullet">
/// <item>.NET (PowerShell 7): the client loads into a private <see cref="AssemblyLoadContext"/> whose Load() serves
/// dependencies/; the default context is asked only for "TokenManagement.Client" (by this assembly) and forwards that
/// one name to the private context.</item>
/// <item>.NET Framework (Windows PowerShell 5.1): one AppDomain, no load contexts; an AssemblyResolve handler that
/// returns the bundled dll by simple name acts as a binding redirect.</item>
/// </list>
/// Nothing here may touch a type of the client: this code runs before the client can be resolved.
/// </summary>
internal static class DependencyLoader
{
    internal const string ClientAssemblyName = "TokenManagement.Client";

    private static readonly object s_sync = new();
    private static bool s_registered;

    internal static string DependencyDirectory { get; } =
        Path.Combine(Path.GetDirectoryName(typeof(DependencyLoader).Assembly.Location) ?? ".", "dependencies");

    internal static void Register()
    {
        lock (s_sync)
        {
            if (s_registered)
            {
                return;
            }
#if NET
            s_context ??= new DependencyLoadContext(DependencyDirectory);
            AssemblyLoadContext.Default.Resolving += OnDefaultResolving;
#else
            AppDomain.CurrentDomain.AssemblyResolve += OnAssemblyResolve;
#endif
            s_registered = true;
        }
    }

    internal static void Unregister()
    {
        lock (s_sync)
        {
            if (!s_registered)
            {
                return;
            }
#if NET
            AssemblyLoadContext.Default.Resolving -= OnDefaultResolving;
#else
            AppDomain.CurrentDomain.AssemblyResolve -= OnAssemblyResolve;
#endif
            s_registered = false;
        }
    }

#if NET
    // One context for the life of the process: an assembly cannot be unloaded, and the cmdlet assembly stays bound to
    // the client it first resolved even across Remove-Module / Import-Module.
    private static DependencyLoadContext? s_context;

    private static Assembly? OnDefaultResolving(AssemblyLoadContext context, AssemblyName name)
    {
        if (!string.Equals(name.Name, ClientAssemblyName, StringComparison.Ordinal) || s_context is null)
        {
            return null;
        }

        return s_context.LoadFromAssemblyName(name);
    }

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
#else
    private static Assembly? OnAssemblyResolve(object? sender, ResolveEventArgs args)
    {
        string? simpleName;
        try
        {
            simpleName = new AssemblyName(args.Name).Name;
        }
        catch (Exception)
        {
            return null;
        }

        if (string.IsNullOrEmpty(simpleName))
        {
            return null;
        }

        string path = Path.Combine(DependencyDirectory, simpleName + ".dll");
        if (!File.Exists(path))
        {
            return null;
        }

        // Any version requested: the bundled one answers (a binding redirect). LoadFrom returns the already loaded
        // assembly for the same path.
        return Assembly.LoadFrom(path);
    }
#endif
}
