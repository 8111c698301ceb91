using System.Reflection;
using TokenManagement.Loading;

namespace TokenManagement.Tests;

/// <summary>
/// Windows PowerShell 5.1's AssemblyResolve handler (DependencyLoader.Resolve): it may act as a binding redirect for
/// the module's own assemblies only, never for another module's request. Checked here on files laid out like the
/// built module: bin/TokenManagement.dll and bin/dependencies/netstandard2.0/*.dll.
/// </summary>
public sealed class DependencyResolutionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tm-resolve-" + Guid.NewGuid().ToString("n"));
    private readonly string _bin;
    private readonly string _dependencies;
    private readonly AssemblyName _shipped;

    public DependencyResolutionTests()
    {
        _bin = Path.Combine(_root, "bin");
        _dependencies = Path.Combine(_bin, "dependencies", "netstandard2.0");
        Directory.CreateDirectory(_dependencies);

        // Any real strong-named assembly stands in for a bundled dependency.
        string source = typeof(Xunit.Assert).Assembly.Location;
        _shipped = AssemblyName.GetAssemblyName(source);
        File.Copy(source, Path.Combine(_dependencies, _shipped.Name + ".dll"));
    }

    private string CmdletAssembly => Path.Combine(_bin, "TokenManagement.dll");

    private string? Resolve(AssemblyName requested, string? requestingLocation) =>
        DependencyLoader.Resolve(requested, requestingLocation, _bin, _dependencies, AssemblyName.GetAssemblyName);

    private AssemblyName Requested(Version? version = null, bool otherKey = false)
    {
        var name = new AssemblyName(_shipped.Name!) { Version = version ?? _shipped.Version, CultureInfo = _shipped.CultureInfo };
        name.SetPublicKeyToken(otherKey ? new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 } : _shipped.GetPublicKeyToken());
        return name;
    }

    [Fact]
    public void Answers_the_cmdlet_assembly_for_a_shipped_file_with_the_same_version()
    {
        Assert.Equal(Path.Combine(_dependencies, _shipped.Name + ".dll"), Resolve(Requested(), CmdletAssembly));
    }

    [Fact]
    public void Answers_a_bundled_dependency_that_asks_for_an_older_version_a_redirect_upwards()
    {
        string requesting = Path.Combine(_dependencies, "Microsoft.Extensions.Http.dll");
        Assert.NotNull(Resolve(Requested(new Version(1, 0, 0, 0)), requesting));
    }

    [Fact]
    public void Leaves_another_modules_request_alone()
    {
        string otherModule = Path.Combine(_root, "OtherModule", "bin", "Other.dll");
        Assert.Null(Resolve(Requested(), otherModule));
    }

    [Fact]
    public void Leaves_a_request_without_a_requesting_assembly_alone()
    {
        Assert.Null(Resolve(Requested(), null));
    }

    [Fact]
    public void Does_not_answer_for_a_file_the_module_does_not_ship()
    {
        Assert.Null(Resolve(new AssemblyName("Some.Other.Library, Version=1.0.0.0"), CmdletAssembly));
    }

    [Fact]
    public void Does_not_answer_with_an_older_version_than_requested()
    {
        Version newer = new(_shipped.Version!.Major + 1, 0, 0, 0);
        Assert.Null(Resolve(Requested(newer), CmdletAssembly));
    }

    [Fact]
    public void Does_not_answer_for_another_public_key()
    {
        Assert.Null(Resolve(Requested(otherKey: true), CmdletAssembly));
    }

    [Fact]
    public void Does_not_answer_for_a_name_that_is_a_path()
    {
        Assert.Null(Resolve(new AssemblyName { Name = "../" + _shipped.Name }, CmdletAssembly));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
