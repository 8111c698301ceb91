namespace TokenManagement.Server;

/// <summary>Settings of one running token service (the <c>serve</c> subcommand's flags).</summary>
public sealed class ServerOptions
{
    public string Urls { get; set; } = "http://127.0.0.1:5080";
    public string DatabasePath { get; set; } = "tokens.db";

    /// <summary>Requests per second per account; 0 switches the limit off. The platform publishes 10.</summary>
    public int RateLimit { get; set; } = 10;
    public int MaxTokensPerUser { get; set; } = 5;

    /// <summary>Fault testing: delay before every response.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Fault testing: this fraction of requests answers 503 Unavailable before touching anything.</summary>
    public double FaultRate { get; set; }

    /// <summary>Fault testing: this fraction of connections is aborted after the request's change is committed.</summary>
    public double FaultAbortRate { get; set; }

    /// <summary>Fault testing: faults chosen per request (--fault-plan); tests in this process add rules directly.</summary>
    public FaultPlan FaultPlan { get; } = new();

    /// <summary>Fault testing: serves the plan at /_faults (GET, PUT, POST, DELETE) for tests in another process.</summary>
    public bool FaultAdmin { get; set; }

    /// <summary>How long a queryToken stays valid (the contract promises at least 10 minutes).</summary>
    public TimeSpan QueryTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public const int MaxRequestBodyBytes = 64 * 1024;
    public const int MaxRequestLineBytes = 8 * 1024;
    public const int MaxRequestHeadersBytes = 32 * 1024;
    public const int MaxRequestHeaderCount = 100;

    /// <summary>The queryMore body: a queryToken, which holds the filter of a query body of up to 64 KiB.</summary>
    public const int MaxQueryTokenBytes = 128 * 1024;
    public const int PageSize = 100;
    public const int MaxBulkIds = 100;
}
