using System.Reflection;

namespace TokenManagement.Loading;

/// <summary>
/// Makes TokenManagement.Client and its dependencies (Microsoft.Extensions.*, ...) load from
/// bin/dependencies/&lt;tfm&gt;, a folder PowerShell does not probe, so that other modules' versions of the same
/// assemblies neither break us nor are broken by us.
/// <list type="bullet">
/// <item>PowerShell 7 (.NET): TokenManagement.Loader.dll (net8.0) gives the client its own AssemblyLoadContext over
/// dependencies/net8.0; this netstandard2.0 assembly cannot declare one, so it calls the loader through reflection.</item>
/// <item>Windows PowerShell 5.1 (.NET Framework): one AppDomain, no load contexts; an AssemblyResolve handler that
/// returns the bundled dll from dependencies/netstandard2.0 by simple name acts as a binding redirect.</item>
/// </list>
/// Nothing here may touch a type of the client: this code runs before the client can be resolved.
/// </summary>
internal static class DependencyLoader
{
    private const string LoaderAssemblyFile = "TokenManagement.Loader.dll";
    private const string LoaderTypeName = "TokenManagement.Loader.ModuleLoadContext";
    private static readonly object s_sync = new();
    private static readonly string s_binDirectory = Path.GetDirectoryName(typeof(DependencyLoader).Assembly.Location) ?? ".";
    private static bool s_registered;
    private static Type? s_loader;

    /// <summary>.NET (Core) has load contexts; .NET Framework does not.</summary>
    private static bool IsCoreClr { get; } = Type.GetType("System.Runtime.Loader.AssemblyLoadContext, System.Runtime.Loader") is not null;

    internal static string DependencyDirectory { get; } =
        Path.Combine(s_binDirectory, "dependencies", IsCoreClr ? "net8.0" : "netstandard2.0");

    internal static void Register()
    {
        lock (s_sync)
        {
            if (s_registered)
            {
                return;
            }

            if (IsCoreClr)
            {
                s_loader ??= Assembly.LoadFrom(Path.Combine(s_binDirectory, LoaderAssemblyFile)).GetType(LoaderTypeName, throwOnError: true);
                s_loader!.GetMethod("Install")!.Invoke(null, new object[] { DependencyDirectory });
            }
            else
            {
                AppDomain.CurrentDomain.AssemblyResolve += OnAssemblyResolve;
            }

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

            if (s_loader is not null)
            {
                s_loader.GetMethod("Uninstall")!.Invoke(null, null);
            }
            else
            {
                AppDomain.CurrentDomain.AssemblyResolve -= OnAssemblyResolve;
            }

            s_registered = false;
        }
    }

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
}
