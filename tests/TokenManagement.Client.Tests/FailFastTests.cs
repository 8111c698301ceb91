using System.Net;

namespace TokenManagement.Client.Tests;

/// <summary>
/// Failing fast and clearly when the service is away: the credential check's short budget, the circuit breaker for
/// bulk work, the retry budget as a real bound, and creates/updates answered 503 Unavailable reconciled, not resent.
/// Time is a manual clock that the fake retry waits advance, so nothing here waits for real.
/// </summary>
public sealed class FailFastTests
{
    private const string Id = "7b2f4c1e9a5d4e03";

    private static string TokenJson(string name = "ci-pipeline", string status = "ENABLED", string created = "2026-11-27T18:00:00Z") =>
        $$"""{"@type":"ApiToken","id":"{{Id}}","accountId":"acme-A1B2C3","userId":"alice@acme.example","name":"{{name}}","tokenPrefix":"123aab","status":"{{status}}","createdDate":"{{created}}"}""";

    private static HttpResponseMessage Refused(SentRequest request, int n) =>
        throw new HttpRequestException("Connection refused (127.0.0.1:9)");

    [Fact]
    public async Task TheCredentialCheckGivesUpWithinItsBudgetNamingTheUriAndTheTrueAttemptCount()
    {
        var clock = new ManualClock();
        using var t = new TestClient(new FakeHandler(Refused), o => o.MaxRetries = 10, clock: clock);

        var failure = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetAccountAsync(default));

        Assert.Equal(ApiErrorKind.Unavailable, failure.Kind);
        Assert.True(clock.Now <= t.Options.CheckTimeBudget, $"gave up after {clock.Now}");
        Assert.Contains("https://api.boomi.com", failure.Message);
        Assert.Contains($"({t.Handler.Sent.Count} attempts)", failure.Message);
        Assert.True(t.Handler.Sent.Count < 11, "the check does not use the whole retry budget");
    }

    [Fact]
    public async Task RetryWaitsNeverOutlastTheBudget()
    {
        var clock = new ManualClock();
        using var t = new TestClient(
            new FakeHandler((_, _) => FakeHandler.Error(503, "Unavailable", "Down.")),
            o =>
            {
                o.MaxRetries = 50;
                o.Timeout = TimeSpan.FromSeconds(5);
                o.RetryTimeBudget = TimeSpan.FromSeconds(20);
                o.OutageTolerance = TimeSpan.Zero;
            },
            clock: clock);

        var failure = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));

        Assert.Equal(ApiErrorKind.Unavailable, failure.Kind);
        Assert.True(clock.Now + TimeSpan.FromSeconds(1) <= TimeSpan.FromSeconds(20), $"waited {clock.Now} and would send one more attempt");
        Assert.Contains("retry budget", t.Records[^1].Note);
    }

    [Fact]
    public async Task AServiceThatStaysDownOpensTheBreakerAndLaterRequestsFailAtOnce()
    {
        var clock = new ManualClock();
        using var t = new TestClient(new FakeHandler(Refused), o => o.MaxRetries = 50, clock: clock);

        var first = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));
        int sentByFirst = t.Handler.Sent.Count;
        Assert.True(clock.Now < t.Options.RetryTimeBudget, "the first request stops when the outage outlasts the tolerance, not at its budget");
        Assert.True(clock.Now >= t.Options.OutageTolerance);
        Assert.Contains("has not answered for", first.Message);

        var second = await Assert.ThrowsAsync<ApiException>(() => t.Client.RevokeTokenAsync(Id, default));
        Assert.Equal(ApiErrorKind.Unavailable, second.Kind);
        Assert.Equal(sentByFirst, t.Handler.Sent.Count); // failed at once, nothing sent
        Assert.Contains("fail at once", second.Message);
    }

    [Fact]
    public async Task AnOpenBreakerLetsOneProbeThroughAfterTheIntervalAndAnAnswerClosesIt()
    {
        var clock = new ManualClock();
        var up = false;
        using var t = new TestClient(
            new FakeHandler((r, n) => up ? FakeHandler.Json(200, TokenJson()) : throw new HttpRequestException("Connection refused")),
            o => o.MaxRetries = 50,
            clock: clock);
        await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));
        await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default)); // open: not sent

        up = true;
        clock.Advance(TimeSpan.FromSeconds(10));
        var token = await t.Client.GetTokenAsync(Id, default); // the probe
        var again = await t.Client.GetTokenAsync(Id, default); // closed again

        Assert.Equal(Id, token.Id);
        Assert.Equal(Id, again.Id);
    }

    [Fact]
    public async Task ThrottlingIsNotAnOutage()
    {
        var clock = new ManualClock();
        var retryAfter = new Dictionary<string, string> { ["Retry-After"] = "5" };
        using var t = new TestClient(
            new FakeHandler((_, n) => n <= 9 ? FakeHandler.Error(503, "RateLimited", "Slow down.", retryAfter) : FakeHandler.Json(200, TokenJson())),
            o => o.MaxRetries = 20,
            clock: clock);

        var token = await t.Client.GetTokenAsync(Id, default);

        Assert.Equal(Id, token.Id);
        Assert.Equal(TimeSpan.FromSeconds(45), clock.Now); // waited longer than the outage tolerance: the service was answering
    }

    [Fact]
    public async Task ACreateAnswered503UnavailableIsReadBackNotResentBlindly()
    {
        var now = DateTimeOffset.Parse("2026-11-27T18:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        using var t = new TestClient(
            new FakeHandler((r, n) => (r.Method, r.Path) switch
            {
                ("POST", "/ApiToken") => FakeHandler.Error(503, "Unavailable", "Try later."),
                ("POST", "/ApiToken/query") => FakeHandler.Json(200, $$"""{"@type":"QueryResult","numberOfResults":1,"result":[{{TokenJson()}}]}"""),
                _ => FakeHandler.Json(500, "{}"),
            }),
            utcNow: () => now);

        var failure = await Assert.ThrowsAsync<ApiException>(() => t.Client.CreateTokenAsync("ci-pipeline", default));

        Assert.Equal(ApiErrorKind.Unavailable, failure.Kind);
        Assert.Contains("probably created", failure.Message);
        Assert.Equal(["POST /ApiToken", "POST /ApiToken/query"], t.Handler.Sent.Select(s => $"{s.Method} {s.Path}"));
    }

    [Fact]
    public async Task AnUpdateAnswered503UnavailableIsReadBackAndNotSentAgainWhenItTookEffect()
    {
        using var t = new TestClient(new FakeHandler((r, n) => (r.Method, n) switch
        {
            ("POST", _) => FakeHandler.Error(503, "Unavailable", "Try later."),
            ("GET", _) => FakeHandler.Json(200, TokenJson(status: "DISABLED")),
            _ => FakeHandler.Json(500, "{}"),
        }));

        var token = await t.Client.UpdateTokenAsync(Id, null, ApiTokenStatus.Disabled, default);

        Assert.Equal(ApiTokenStatus.Disabled, token.Status);
        Assert.Equal(["POST", "GET"], t.Handler.Sent.Select(s => s.Method));
    }

    [Fact]
    public async Task ARetryRecordSaysItWillRetry()
    {
        using var t = new TestClient(new FakeHandler((_, n) => n == 1 ? FakeHandler.Error(503, "Unavailable", "Down.") : FakeHandler.Json(200, TokenJson())));

        await t.Client.GetTokenAsync(Id, default);

        Assert.Equal([true, false], t.Records.Select(r => r.WillRetry));
    }
}
