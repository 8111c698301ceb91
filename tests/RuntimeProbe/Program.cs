using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Security;
using TokenManagement.Client;

// Usage: TokenManagement.RuntimeProbe <module bin folder> <root uri> <account> <user> <token>
// Prints one "PASS <check>" or "FAIL <check>: <why>" line per check and "probe: N passed, N failed" last; exit 1 on any failure.
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: TokenManagement.RuntimeProbe <module bin folder> <root uri> <account> <user> <token>");
    return 2;
}

var probe = new Probe(args[0], new Uri(args[1]), args[2], args[3], args[4]);
return await probe.RunAsync();

internal sealed class Probe
{
    private readonly string _bin;
    private readonly Uri _root;
    private readonly string _account;
    private readonly string _user;
    private readonly string _token;
    private int _passed;
    private int _failed;

    public Probe(string bin, Uri root, string account, string user, string token)
    {
        _bin = bin;
        _root = root;
        _account = account;
        _user = user;
        _token = token;
    }

    public async Task<int> RunAsync()
    {
        string runtime = $".NET {Environment.Version}";
        Check($"{runtime}: the module's loader installs its load context", InstallLoader);
        await CheckAsync($"{runtime}: connect, list, create, rename and revoke through the module's client", UseClientAsync);
        Check($"{runtime}: the client and Microsoft.Extensions.* come from the module's load context", () =>
        {
            foreach (string name in new[] { "TokenManagement.Client", "Microsoft.Extensions.Http", "Microsoft.Extensions.DependencyInjection" })
            {
                Assembly assembly = Loaded(name) ?? throw new InvalidOperationException($"{name} is not loaded");
                string context = AssemblyLoadContext.GetLoadContext(assembly)?.Name ?? "?";
                Require(context == "TokenManagement.Dependencies", $"{name} loaded into '{context}'");
            }
        });
        Check($"{runtime}: framework assemblies come from the runtime", () =>
        {
            foreach (Assembly assembly in AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name!.StartsWith("System.", StringComparison.Ordinal)))
            {
                AssemblyLoadContext? context = AssemblyLoadContext.GetLoadContext(assembly);
                Require(context == AssemblyLoadContext.Default, $"{assembly.GetName().Name} {assembly.GetName().Version} loaded into '{context?.Name}' from {assembly.Location}");
            }
        });

        Console.WriteLine($"probe: {_passed} passed, {_failed} failed");
        return _failed == 0 ? 0 : 1;
    }

    /// <summary>What DependencyLoader.Register does on PowerShell 7, through reflection as there.</summary>
    private void InstallLoader()
    {
        Type loader = Assembly.LoadFrom(Path.Combine(_bin, "TokenManagement.Loader.dll"))
            .GetType("TokenManagement.Loader.ModuleLoadContext", throwOnError: true)!;
        loader.GetMethod("Install")!.Invoke(null, new object[] { Path.Combine(_bin, "dependencies", "net8.0") });
    }

    // Not inlined: TokenManagement.Client is resolved only when this runs, after the loader is installed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task UseClientAsync()
    {
        var secret = new SecureString();
        foreach (char c in _token)
        {
            secret.AppendChar(c);
        }

        using var client = new AtomSphereClient(new AtomSphereClientOptions
        {
            Root = _root,
            AccountId = _account,
            UserId = _user,
            Token = secret,
            RequestsPerSecond = 0,
            MaxRetries = 1,
            Timeout = TimeSpan.FromSeconds(20),
        });
        CancellationToken none = CancellationToken.None;
        await client.GetAccountAsync(none);
        string name = "probe-" + Guid.NewGuid().ToString("n")[..8];
        CreatedApiToken created = await client.CreateTokenAsync(name, none);
        QueryPage page = await client.QueryAsync(QueryExpression.Compare("name", "EQUALS", name), none);
        Require(page.Tokens.Count == 1 && page.Tokens[0].Id == created.Token.Id, $"listing found {page.Tokens.Count} tokens named {name}");
        ApiToken renamed = await client.UpdateTokenAsync(created.Token.Id, name + "-renamed", null, none);
        Require(renamed.Name == name + "-renamed", $"renamed to '{renamed.Name}'");
        await client.RevokeTokenAsync(created.Token.Id, none);
        try
        {
            await client.GetTokenAsync(created.Token.Id, none);
            Require(false, "the revoked token is still there");
        }
        catch (ApiException gone) when (gone.Kind == ApiErrorKind.NotFound)
        {
        }
    }

    private static Assembly? Loaded(string name) =>
        AssemblyLoadContext.All.SelectMany(c => c.Assemblies).FirstOrDefault(a => a.GetName().Name == name);

    private static void Require(bool condition, string why)
    {
        if (!condition)
        {
            throw new InvalidOperationException(why);
        }
    }

    private void Check(string what, Action check) => CheckAsync(what, () => { check(); return Task.CompletedTask; }).GetAwaiter().GetResult();

    private async Task CheckAsync(string what, Func<Task> check)
    {
        try
        {
            await check().ConfigureAwait(false);
            _passed++;
            Console.WriteLine($"PASS {what}");
        }
        catch (Exception exception)
        {
            _failed++;
            Exception root = exception is TargetInvocationException { InnerException: { } inner } ? inner : exception;
            Console.WriteLine($"FAIL {what}: {root.GetType().Name}: {root.Message}");
        }
    }
}
