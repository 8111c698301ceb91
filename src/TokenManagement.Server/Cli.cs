using System.Globalization;

namespace TokenManagement.Server;

/// <summary>The executable's subcommands: serve, add-user, seed. Scripts and tests rely on these exact names.</summary>
public static class Cli
{
    public const string Usage = """
        TokenManagement.Server: the ApiToken API of docs/api.md, on Kestrel and SQLite.

        Usage:
          serve    [--urls http://127.0.0.1:5080] [--database PATH] [--rate-limit N]
                   [--max-tokens-per-user N] [--latency-ms N] [--fault-rate F] [--fault-abort-rate F]
                   [--fault-plan JSON|PATH] [--fault-admin]
          add-user --database PATH --account ID --user EMAIL [--admin] [--no-api-access] [--token-name NAME]
          seed     --database PATH --account ID --users N --tokens-per-user K

        serve options:
          --urls URL               where to listen (default http://127.0.0.1:5080; port 0 picks a free port).
                                   Prints 'Listening on URL' once it listens.
          --database PATH          the SQLite file (default tokens.db), created with its schema if missing.
          --rate-limit N           requests per second per account (default 10, the platform's; 0 = off).
          --max-tokens-per-user N  tokens a user may hold (default 5).
        Fault testing only (never in production):
          --latency-ms N           delays every response by N ms.
          --fault-rate F           answers that fraction (0..1) of requests 503 Unavailable, Retry-After: 1,
                                   before touching anything.
          --fault-abort-rate F     aborts that fraction (0..1) of connections after the request's change is
                                   committed: the client sees a transport error for a request that succeeded.
          --fault-plan JSON|PATH   deterministic faults, chosen per request (a JSON text starting with '{', or a
                                   file holding it). Each rule counts the requests matching its method and path
                                   (* matches any run of characters), lets 'skip' of them through, then fires on
                                   the next 'times' (default 1). The first listed rule that is due applies.
                                     {"faults":[
                                       {"method":"DELETE","path":"*/ApiToken/7b2f4c1e9a5d4e03","times":2,"fault":"unavailable"},
                                       {"skip":2,"fault":"abort-after-commit"}]}
                                   faults: unavailable (503, retryAfter seconds, default 1, 0 = no header),
                                   rate-limited (503 RateLimited), internal-error (500), abort-before (drop the
                                   connection, nothing changed), abort-after-commit (commit, then drop),
                                   delay (wait delayMs, then answer).
          --fault-admin            serves the plan at /_faults, for loopback callers, without credentials:
                                   GET (the rules with 'seen' and 'fired' counts), PUT (replace), POST (append),
                                   DELETE (clear). Off unless given.

        add-user creates the account and user if missing (or updates their privileges), gives the user a new
        token and prints only its value on stdout: the way to bootstrap a first credential.
        seed adds N users with K tokens each, in one transaction (bulk data for demos and benchmarks).
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await stdout.WriteLineAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            Names.EnsureUnicodeSupport();
            var options = ParseOptions(args.Skip(1).ToArray());
            if (options.ContainsKey("help"))
            {
                await stdout.WriteLineAsync(Usage);
                return 0;
            }
            switch (args[0])
            {
                case "serve":
                    return await ServeAsync(options, stdout);
                case "add-user":
                    return AddUser(options, stdout);
                case "seed":
                    return Seed(options, stdout);
                default:
                    throw new UsageException($"Unknown command '{args[0]}'.");
            }
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}\n\n{Usage}");
            return 2;
        }
        catch (ApiError e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> ServeAsync(Dictionary<string, string?> options, TextWriter stdout)
    {
        var serverOptions = ServeOptions(options);
        var app = ServerApp.Build(serverOptions, stdout);
        await app.StartAsync();
        await stdout.WriteLineAsync($"Listening on {ServerApp.ListeningAddress(app)}");
        await stdout.FlushAsync();
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>The serve subcommand's flags as <see cref="ServerOptions"/> (tests check the parsing without serving).</summary>
    internal static ServerOptions ServeOptions(string[] args) => ServeOptions(ParseOptions(args));

    private static ServerOptions ServeOptions(Dictionary<string, string?> options)
    {
        Allow(options, "urls", "database", "rate-limit", "max-tokens-per-user", "latency-ms", "fault-rate", "fault-abort-rate", "fault-plan", "fault-admin");
        var serverOptions = new ServerOptions
        {
            Urls = Text(options, "urls") ?? "http://127.0.0.1:5080",
            DatabasePath = Text(options, "database") ?? "tokens.db",
            RateLimit = Int(options, "rate-limit") ?? 10,
            MaxTokensPerUser = Int(options, "max-tokens-per-user") ?? 5,
            LatencyMs = Int(options, "latency-ms") ?? 0,
            FaultRate = Fraction(options, "fault-rate"),
            FaultAbortRate = Fraction(options, "fault-abort-rate"),
            FaultAdmin = Flag(options, "fault-admin"),
        };
        if (Text(options, "fault-plan") is { } plan) { serverOptions.FaultPlan.Replace(ReadFaultPlan(plan)); }
        return serverOptions;
    }

    /// <summary>JSON text if it looks like JSON, otherwise the path of a file holding it.</summary>
    private static IReadOnlyList<FaultRule> ReadFaultPlan(string value)
    {
        string json;
        if (value.TrimStart().StartsWith('{')) { json = value; }
        else
        {
            try { json = File.ReadAllText(value); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new UsageException($"--fault-plan: cannot read '{value}': {e.Message}"); }
        }
        try { return FaultPlan.Parse(json); }
        catch (FormatException e) { throw new UsageException($"--fault-plan: {e.Message}"); }
    }

    private static bool Flag(Dictionary<string, string?> options, string name) =>
        options.TryGetValue(name, out var value)
            ? value is null ? true : throw new UsageException($"--{name} takes no value ('{value}' given).")
            : false;

    private static int AddUser(Dictionary<string, string?> options, TextWriter stdout)
    {
        Allow(options, "database", "account", "user", "admin", "no-api-access", "token-name");
        var store = new TokenStore(Required(options, "database"));
        store.Initialize();
        var (_, value) = store.AddUserWithToken(
            Required(options, "account"), Required(options, "user"), options.ContainsKey("admin"), !options.ContainsKey("no-api-access"),
            Names.Validate(Text(options, "token-name") ?? "bootstrap", "--token-name"), DateTimeOffset.UtcNow);
        stdout.WriteLine(value);
        return 0;
    }

    private static int Seed(Dictionary<string, string?> options, TextWriter stdout)
    {
        Allow(options, "database", "account", "users", "tokens-per-user");
        var store = new TokenStore(Required(options, "database"));
        store.Initialize();
        var users = Int(options, "users") ?? throw new UsageException("--users is required.");
        var perUser = Int(options, "tokens-per-user") ?? throw new UsageException("--tokens-per-user is required.");
        var count = store.Seed(Required(options, "account"), users, perUser, DateTimeOffset.UtcNow);
        stdout.WriteLine($"Seeded {count} tokens for {users} users.");
        return 0;
    }

    private static Dictionary<string, string?> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) { throw new UsageException($"Unexpected argument '{args[i]}'."); }
            var name = args[i][2..];
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq >= 0) { (name, value) = (name[..eq], name[(eq + 1)..]); }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) { value = args[++i]; }
            options[name] = value;
        }
        return options;
    }

    private static void Allow(Dictionary<string, string?> options, params string[] names)
    {
        var unknown = options.Keys.Where(k => !names.Contains(k)).ToList();
        if (unknown.Count > 0) { throw new UsageException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}."); }
    }

    private static string? Text(Dictionary<string, string?> options, string name) =>
        options.TryGetValue(name, out var value) ? value ?? throw new UsageException($"--{name} needs a value.") : null;

    private static string Required(Dictionary<string, string?> options, string name) =>
        Text(options, name) ?? throw new UsageException($"--{name} is required.");

    private static int? Int(Dictionary<string, string?> options, string name) =>
        Text(options, name) is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"--{name} takes a whole number >= 0.")
            : null;

    private static double Fraction(Dictionary<string, string?> options, string name) =>
        Text(options, name) is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f is >= 0 and <= 1 ? f : throw new UsageException($"--{name} takes a number from 0 to 1.")
            : 0;

    private sealed class UsageException(string message) : Exception(message);
}
