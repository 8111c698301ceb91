namespace TokenManagement.Tests;

/// <summary>PowerShell 7's load context (TokenManagement.Loader): which names it loads from the module's folder.</summary>
public sealed class LoadContextTests
{
    [Theory]
    [InlineData("TokenManagement.Client", true)]
    [InlineData("Microsoft.Extensions.Http", true)]
    [InlineData("Microsoft.Extensions.DependencyInjection.Abstractions", true)]
    [InlineData("System.Diagnostics.DiagnosticSource", false)]
    [InlineData("System.Text.Json", false)]
    [InlineData("Microsoft.Bcl.AsyncInterfaces", false)]
    [InlineData("System.Management.Automation", false)]
    [InlineData(null, false)]
    public void Loads_only_the_client_and_Microsoft_Extensions_privately(string? name, bool privately)
    {
        Assert.Equal(privately, Loader.ModuleLoadContext.LoadsPrivately(name));
    }
}
