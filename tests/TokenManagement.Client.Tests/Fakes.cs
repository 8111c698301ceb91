using System.Collections.Concurrent;
using System.Net;
using System.Security;
using System.Text;

namespace TokenManagement.Client.Tests;

/// <summary>What the client put on the wire for one attempt, captured while it was being sent.</summary>
public sealed record SentRequest(
    string Method,
    string Path,
    string? Query,
    string? ContentType,
    string? Body,
    string? Authorization,
    string? Accept);

/// <summary>
/// Stands in for the network. <see cref="Respond"/> decides each answer (it may throw, to simulate a transport
/// failure, or wait on the attempt's token to simulate a hang). Every attempt is recorded.
/// </summary>
public sealed class FakeHandler : HttpMessageHandler
{
    public const string BasePath = "/api/rest/v1/acme-A1B2C3";

    private readonly ConcurrentQueue<SentRequest> _sent = new();

    public FakeHandler(Func<SentRequest, int, CancellationToken, Task<HttpResponseMessage>> respond)
    {
        Respond = respond;
    }

    public FakeHandler(Func<SentRequest, int, HttpResponseMessage> respond)
        : this((r, n, _) => Task.FromResult(respond(r, n)))
    {
    }

    public Func<SentRequest, int, CancellationToken, Task<HttpResponseMessage>> Respond { get; }

    public IReadOnlyList<SentRequest> Sent => _sent.ToArray();

    /// <summary>Completes when the first request arrives.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        Assert.True(uri.IsAbsoluteUri);
        var path = uri.AbsolutePath;
        Assert.StartsWith(BasePath + "/", path);
        var sent = new SentRequest(
            request.Method.Method,
            path.Substring(BasePath.Length),
            string.IsNullOrEmpty(uri.Query) ? null : uri.Query,
            request.Content?.Headers.ContentType?.MediaType,
            request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken),
            request.Headers.Authorization?.ToString(),
            string.Join(",", request.Headers.Accept.Select(a => a.MediaType)));
        _sent.Enqueue(sent);
        Entered.TrySetResult();
        var response = await Respond(sent, _sent.Count, cancellationToken);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage Json(int status, string json, IDictionary<string, string>? headers = null)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        foreach (var header in headers ?? new Dictionary<string, string>())
        {
            response.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return response;
    }

    public static HttpResponseMessage Error(int status, string code, string message, IDictionary<string, string>? headers = null) =>
        Json(status, $$"""{"@type":"Error","code":"{{code}}","message":"{{message}}"}""", headers);

    public static HttpResponseMessage NoContent() => new(HttpStatusCode.NoContent);
}

/// <summary>Builds clients wired to a fake handler, with waits recorded instead of waited (unless asked otherwise).</summary>
public sealed class TestClient : IDisposable
{
    public const string AccountId = "acme-A1B2C3";
    public const string UserId = "alice@acme.example";
    public const string TokenValue = "123aab45-67b8-4012-9a45-67c8e9e01e23";

    private readonly ConcurrentQueue<RequestRecord> _records = new();
    private readonly ConcurrentQueue<TimeSpan> _delays = new();

    public TestClient(FakeHandler handler, Action<AtomSphereClientOptions>? configure = null, bool realDelays = false, Func<DateTimeOffset>? utcNow = null, ManualClock? clock = null)
    {
        Handler = handler;
        Options = new AtomSphereClientOptions
        {
            Root = new Uri("https://api.boomi.com"),
            AccountId = AccountId,
            UserId = "BOOMI_TOKEN." + UserId,
            Token = Secure(TokenValue),
            RequestsPerSecond = 0,
            MaxRetries = 5,
            Timeout = TimeSpan.FromSeconds(30),
            RequestObserver = _records.Enqueue,
        };
        configure?.Invoke(Options);
        Client = new AtomSphereClient(
            Options,
            handler,
            realDelays
                ? null
                : (wait, ct) =>
                {
                    ct.ThrowIfCancellationRequested();
                    _delays.Enqueue(wait);
                    clock?.Advance(wait);
                    return Task.CompletedTask;
                },
            utcNow,
            clock is null ? null : () => clock.Now);
    }

    public FakeHandler Handler { get; }
    public AtomSphereClientOptions Options { get; }
    public AtomSphereClient Client { get; }
    public IReadOnlyList<RequestRecord> Records => _records.ToArray();
    public IReadOnlyList<TimeSpan> Delays => _delays.ToArray();

    public static SecureString Secure(string value)
    {
        var s = new SecureString();
        foreach (var c in value)
        {
            s.AppendChar(c);
        }

        s.MakeReadOnly();
        return s;
    }

    public static string Plain(SecureString value) => new System.Net.NetworkCredential("", value).Password;

    public void Dispose() => Client.Dispose();
}

/// <summary>A monotonic clock that moves only when told (the fake delays advance it).</summary>
public sealed class ManualClock
{
    private long _ticks;

    public TimeSpan Now => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
