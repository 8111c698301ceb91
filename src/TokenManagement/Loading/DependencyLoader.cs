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
        AssemblyName requested;
        try
        {
            requested = new AssemblyName(args.Name);
        }
        catch (Exception)
        {
            return null;
        }

        string? path = Resolve(requested, args.RequestingAssembly?.Location, s_binDirectory, DependencyDirectory, ReadAssemblyName);

        // LoadFrom returns the already loaded assembly for the same path.
        return path is null ? null : Assembly.LoadFrom(path);
    }

    /// <summary>
    /// The Windows PowerShell 5.1 handler's decision, as PSResourceGet makes it: answer (with the bundled file's path)
    /// only when one of the module's own assemblies asks (the cmdlet assembly in bin/, or a bundled dependency), only
    /// for a file the module ships under that very name, and only when the bundled version satisfies the request (same
    /// public key, same or newer version: a binding redirect upwards). Any other module's request is left alone.
    /// </summary>
    internal static string? Resolve(
        AssemblyName requested,
        string? requestingLocation,
        string binDirectory,
        string dependencyDirectory,
        Func<string, AssemblyName?> readShipped)
    {
        if (string.IsNullOrEmpty(requested.Name) || string.IsNullOrEmpty(requestingLocation)
            || requested.Name!.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            return null;
        }

        string? requestingDirectory = Path.GetDirectoryName(Path.GetFullPath(requestingLocation));
        if (!SamePath(requestingDirectory, binDirectory) && !SamePath(requestingDirectory, dependencyDirectory))
        {
            return null;
        }

        string path = Path.Combine(dependencyDirectory, requested.Name + ".dll");
        if (!File.Exists(path) || readShipped(path) is not { } shipped)
        {
            return null;
        }

        bool sameName = string.Equals(shipped.Name, requested.Name, StringComparison.OrdinalIgnoreCase);
        byte[]? wantedKey = requested.GetPublicKeyToken();
        bool sameKey = wantedKey is null || wantedKey.Length == 0 || (shipped.GetPublicKeyToken() ?? Array.Empty<byte>()).SequenceEqual(wantedKey);
        bool newEnough = requested.Version is null || (shipped.Version is { } version && version >= requested.Version);
        return sameName && sameKey && newEnough ? path : null;
    }

    private static AssemblyName? ReadAssemblyName(string path)
    {
        try
        {
            return AssemblyName.GetAssemblyName(path);
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static bool SamePath(string? a, string b) =>
        a is not null && string.Equals(
            Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar),
            Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar),
            StringComparison.OrdinalIgnoreCase);
}
