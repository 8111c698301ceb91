using System.Security;

namespace TokenManagement.Client;

public sealed class AtomSphereClientOptions
{
    /// <summary>The root, e.g. https://api.boomi.com or http://127.0.0.1:5080. Paths are added by the client.</summary>
    public Uri Root { get; set; } = new("https://api.boomi.com");
    public string AccountId { get; set; } = "";

    /// <summary>The user id, without the BOOMI_TOKEN. prefix.</summary>
    public string UserId { get; set; } = "";

    /// <summary>The token value used as the Basic password.</summary>
    public SecureString Token { get; set; } = new();

    /// <summary>Per-request timeout (each attempt).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Client-side request rate ceiling per connection; 0 = no ceiling.</summary>
    public double RequestsPerSecond { get; set; } = 10;

    /// <summary>
    /// Ten, not the five of the platform's own connectors: a bulk runbook of hundreds of requests against a service
    /// failing 30% of them would still lose one in a few hundred runs with five.
    /// </summary>
    public const int DefaultMaxRetries = 10;

    /// <summary>How many times a retryable failure is retried before giving up.</summary>
    public int MaxRetries { get; set; } = DefaultMaxRetries;

    /// <summary>
    /// The most time one call may spend retrying (waits and attempts together): a retry that would end later is not made.
    /// </summary>
    public TimeSpan RetryTimeBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The retry budget of the credential check (GetAccountAsync): connecting to a wrong address or a stopped service
    /// fails within this, not after the whole <see cref="RetryTimeBudget"/>.
    /// </summary>
    public TimeSpan CheckTimeBudget { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// How long the service may stay unreachable (no answer, 503 Unavailable) before requests stop waiting for it:
    /// then they fail at once, and one is let through every few seconds to find out whether it is back. Zero: never.
    /// </summary>
    public TimeSpan OutageTolerance { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Receives one record per HTTP attempt (for -Verbose). Called from any thread.</summary>
    public Action<RequestRecord>? RequestObserver { get; set; }

    /// <summary>The same options for another token of the same user (a rotation proving its replacement): every other setting kept.</summary>
    public AtomSphereClientOptions WithToken(SecureString token)
    {
        var copy = (AtomSphereClientOptions)MemberwiseClone();
        copy.Token = token;
        return copy;
    }
}

/// <summary>What -Verbose shows of a request: never a body, a header or a token value.</summary>
public sealed class RequestRecord
{
    public RequestRecord(string method, string path, int? statusCode, TimeSpan elapsed, int attempt, string? note)
        : this(method, path, statusCode, elapsed, attempt, note, willRetry: false)
    {
    }

    public RequestRecord(string method, string path, int? statusCode, TimeSpan elapsed, int attempt, string? note, bool willRetry)
    {
        WillRetry = willRetry;
        Method = method;
        Path = path;
        StatusCode = statusCode;
        Elapsed = elapsed;
        Attempt = attempt;
        Note = note;
    }

    public string Method { get; }

    /// <summary>The path below the account, e.g. /ApiToken/abc123.</summary>
    public string Path { get; }
    public int? StatusCode { get; }
    public TimeSpan Elapsed { get; }
    public int Attempt { get; }

    /// <summary>Whether the client will send this request again (after a wait): progress can say it is retrying.</summary>
    public bool WillRetry { get; }

    /// <summary>E.g. "retrying in 1.0 s (503 RateLimited)"; null for a plain request.</summary>
    public string? Note { get; }

    public override string ToString() =>
        $"{Method} {Path} -> {(StatusCode?.ToString() ?? "no response")} in {Elapsed.TotalMilliseconds:F0} ms"
        + (Attempt > 1 ? $" (attempt {Attempt})" : "")
        + (Note is null ? "" : $"; {Note}");
}
