using System.Net;

namespace TokenManagement.Client.Tests;

public sealed class RetryPolicyTests
{
    private const string Id = "7b2f4c1e9a5d4e03";

    private static string TokenJson(string name = "ci-pipeline", string status = "ENABLED", string created = "2026-11-27T18:00:00Z") =>
        $$"""{"@type":"ApiToken","id":"{{Id}}","accountId":"acme-A1B2C3","userId":"alice@acme.example","name":"{{name}}","tokenPrefix":"123aab","status":"{{status}}","createdDate":"{{created}}"}""";

    private static readonly Dictionary<string, string> RetryAfterOne = new() { ["Retry-After"] = "1" };

    [Fact]
    public async Task RateLimited503IsRetriedAfterTheRetryAfterSeconds()
    {
        using var t = new TestClient(new FakeHandler((_, n) => n <= 2
            ? FakeHandler.Error(503, "RateLimited", "Too many requests.", RetryAfterOne)
            : FakeHandler.Json(200, TokenJson())));

        var token = await t.Client.GetTokenAsync(Id, default);

        Assert.Equal("ci-pipeline", token.Name);
        Assert.Equal(3, t.Handler.Sent.Count);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)], t.Delays);
        Assert.Equal([1, 2, 3], t.Records.Select(r => r.Attempt));
        Assert.Equal("retrying in 1.0 s (503 RateLimited)", t.Records[0].Note);
        Assert.Equal(503, t.Records[0].StatusCode);
        Assert.Equal(200, t.Records[2].StatusCode);
        Assert.Null(t.Records[2].Note);
    }

    [Fact]
    public async Task RetryAfterAsAnHttpDateIsHonoured()
    {
        var now = new DateTimeOffset(2026, 11, 27, 18, 0, 0, TimeSpan.Zero);
        var headers = new Dictionary<string, string> { ["Retry-After"] = now.AddSeconds(3).ToString("R") };
        using var t = new TestClient(
            new FakeHandler((_, n) => n == 1 ? FakeHandler.Error(503, "Unavailable", "Down for a moment.", headers) : FakeHandler.Json(200, TokenJson())),
            utcNow: () => now);

        await t.Client.GetTokenAsync(Id, default);

        Assert.Equal([TimeSpan.FromSeconds(3)], t.Delays);
    }

    [Fact]
    public async Task Status429IsRetriedLike503AndZeroRetryAfterMeansAtOnce()
    {
        var zero = new Dictionary<string, string> { ["Retry-After"] = "0" };
        using var t = new TestClient(new FakeHandler((_, n) => n == 1
            ? FakeHandler.Json(429, "{}", zero)
            : FakeHandler.Json(200, TokenJson())));

        await t.Client.GetTokenAsync(Id, default);

        Assert.Equal(2, t.Handler.Sent.Count);
        Assert.Equal([TimeSpan.Zero], t.Delays);
    }

    [Fact]
    public async Task Without503RetryAfterTheBackoffGrowsWithJitter()
    {
        using var t = new TestClient(
            new FakeHandler((_, _) => FakeHandler.Error(503, "Unavailable", "Down.")),
            o => o.MaxRetries = 4);

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));

        Assert.Equal(ApiErrorKind.Unavailable, ex.Kind);
        Assert.Equal(5, t.Handler.Sent.Count);
        var delays = t.Delays.Select(d => d.TotalSeconds).ToArray();
        Assert.Equal(4, delays.Length);
        for (var i = 0; i < delays.Length; i++)
        {
            var step = 0.5 * Math.Pow(2, i);
            Assert.InRange(delays[i], step / 2, step);
        }
    }

    [Fact]
    public async Task GivesUpAfterMaxRetriesWithUnavailable()
    {
        using var t = new TestClient(
            new FakeHandler((_, _) => FakeHandler.Error(503, "RateLimited", "Too many requests.", RetryAfterOne)),
            o => o.MaxRetries = 3);

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.QueryAsync(null, default));

        Assert.Equal(ApiErrorKind.Unavailable, ex.Kind);
        Assert.Equal(503, ex.StatusCode);
        Assert.Equal("RateLimited", ex.ServerCode);
        Assert.Equal(4, t.Handler.Sent.Count);
        Assert.Equal(4, t.Records.Count);
        Assert.Contains("giving up after 4 attempts", t.Records[3].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARetryThatWouldExceedTheTimeBudgetIsNotMade()
    {
        var later = new Dictionary<string, string> { ["Retry-After"] = "600" };
        using var t = new TestClient(
            new FakeHandler((_, _) => FakeHandler.Error(503, "Unavailable", "Maintenance.", later)),
            o => o.RetryTimeBudget = TimeSpan.FromMinutes(1));

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));

        Assert.Equal(ApiErrorKind.Unavailable, ex.Kind);
        Assert.Single(t.Handler.Sent);
        Assert.Empty(t.Delays);
        Assert.Contains("retry budget", t.Records[0].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransportFailureOnGetIsRetried()
    {
        using var t = new TestClient(new FakeHandler((_, n) => n == 1
            ? throw new HttpRequestException("Connection refused")
            : FakeHandler.Json(200, TokenJson())));

        var token = await t.Client.GetTokenAsync(Id, default);

        Assert.Equal(Id, token.Id);
        Assert.Equal(2, t.Handler.Sent.Count);
        Assert.Null(t.Records[0].StatusCode);
        Assert.Contains("retrying in", t.Records[0].Note, StringComparison.Ordinal);
        Assert.Equal(200, t.Records[1].StatusCode);
    }

    [Fact]
    public async Task TransportFailureOnQueryAndBulkIsRetried()
    {
        using var t = new TestClient(new FakeHandler((r, n) => n % 2 == 1
            ? throw new HttpRequestException("Connection reset")
            : r.Path.EndsWith("/bulk", StringComparison.Ordinal)
                ? FakeHandler.Json(200, """{"@type":"BulkResult","response":[]}""")
                : FakeHandler.Json(200, """{"@type":"QueryResult","numberOfResults":0,"result":[]}""")));

        await t.Client.QueryAsync(null, default);
        await t.Client.BulkGetAsync(["a"], default);

        Assert.Equal(["/ApiToken/query", "/ApiToken/query", "/ApiToken/bulk", "/ApiToken/bulk"], t.Handler.Sent.Select(s => s.Path));
    }

    [Fact]
    public async Task ATimedOutAttemptIsRetriedAndIsNotCancellation()
    {
        using var t = new TestClient(
            new FakeHandler(async (_, n, ct) =>
            {
                if (n == 1)
                {
                    await Task.Delay(Timeout.Infinite, ct); // hangs until the attempt's timeout
                }

                return FakeHandler.Json(200, TokenJson());
            }),
            o => o.Timeout = TimeSpan.FromMilliseconds(100));

        var token = await t.Client.GetTokenAsync(Id, default);

        Assert.Equal(Id, token.Id);
        Assert.Equal(2, t.Handler.Sent.Count);
        Assert.Contains("no answer within", t.Records[0].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PersistentTransportFailureGivesUpWithUnavailableAndNoStatus()
    {
        using var t = new TestClient(
            new FakeHandler((_, _) => throw new HttpRequestException("No route to host")),
            o => o.MaxRetries = 2);

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetAccountAsync(default));

        Assert.Equal(ApiErrorKind.Unavailable, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.Equal(3, t.Handler.Sent.Count);
        Assert.Contains("No route to host", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PersistentTimeoutGivesUpWithUnavailable()
    {
        using var t = new TestClient(
            new FakeHandler(async (_, _, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return FakeHandler.NoContent();
            }),
            o =>
            {
                o.Timeout = TimeSpan.FromMilliseconds(50);
                o.MaxRetries = 1;
            });

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));

        Assert.Equal(ApiErrorKind.Unavailable, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.Equal(2, t.Handler.Sent.Count);
    }

    [Fact]
    public async Task TransportFailureOnCreateIsNotResentWhenTheReadBackFindsTheToken()
    {
        var now = new DateTimeOffset(2026, 11, 27, 18, 0, 5, TimeSpan.Zero);
        using var t = new TestClient(
            new FakeHandler((r, _) => r.Path switch
            {
                "/ApiToken" => throw new HttpRequestException("Connection reset by peer"),
                "/ApiToken/query" => FakeHandler.Json(200, $$"""{"@type":"QueryResult","numberOfResults":1,"result":[{{TokenJson()}}]}"""),
                _ => throw new InvalidOperationException(r.Path),
            }),
            utcNow: () => now);

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.CreateTokenAsync("ci-pipeline", default));

        Assert.Equal(ApiErrorKind.Unavailable, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.Contains("probably created", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Revoke", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Id, ex.Message, StringComparison.Ordinal);
        Assert.Equal(["/ApiToken", "/ApiToken/query"], t.Handler.Sent.Select(s => s.Path));
        Assert.Empty(t.Delays);

        // The read-back asks for the caller's own token of that name.
        Assert.Contains("\"property\":\"name\"", t.Handler.Sent[1].Body, StringComparison.Ordinal);
        Assert.Contains("\"argument\":[\"ci-pipeline\"]", t.Handler.Sent[1].Body, StringComparison.Ordinal);
        Assert.Contains("\"argument\":[\"alice@acme.example\"]", t.Handler.Sent[1].Body, StringComparison.Ordinal);
        Assert.Contains("reconcile", t.Records[0].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransportFailureOnCreateWithAnOldTokenOfThatNameIsANameConflict()
    {
        var now = new DateTimeOffset(2026, 11, 27, 18, 0, 5, TimeSpan.Zero);
        using var t = new TestClient(
            new FakeHandler((r, _) => r.Path == "/ApiToken"
                ? throw new HttpRequestException("Connection reset")
                : FakeHandler.Json(200, $$"""{"@type":"QueryResult","numberOfResults":1,"result":[{{TokenJson(created: "2026-03-01T00:00:00Z")}}]}""")),
            utcNow: () => now);

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.CreateTokenAsync("ci-pipeline", default));

        Assert.Equal(ApiErrorKind.NameConflict, ex.Kind);
        Assert.Single(t.Handler.Sent, s => s.Path == "/ApiToken");
    }

    [Fact]
    public async Task TransportFailureOnCreateIsSentOnceMoreOnlyAfterTheReadBackShowsNothingWasCreated()
    {
        const string created = """{"@type":"ApiToken","id":"7b2f4c1e9a5d4e03","accountId":"acme-A1B2C3","userId":"alice@acme.example","name":"ci-pipeline","tokenPrefix":"123aab","status":"ENABLED","createdDate":"2026-11-27T18:00:00Z","token":"123aab45-67b8-4012-9a45-67c8e9e01e23"}""";
        using var t = new TestClient(new FakeHandler((r, n) => r.Path switch
        {
            "/ApiToken" when n == 1 => throw new HttpRequestException("Connection reset"),
            "/ApiToken" => FakeHandler.Json(200, created),
            _ => FakeHandler.Json(200, """{"@type":"QueryResult","numberOfResults":0,"result":[]}"""),
        }));

        var result = await t.Client.CreateTokenAsync("ci-pipeline", default);

        Assert.Equal(TestClient.TokenValue, TestClient.Plain(result.Value));
        Assert.Equal(["/ApiToken", "/ApiToken/query", "/ApiToken"], t.Handler.Sent.Select(s => s.Path));
    }

    [Fact]
    public async Task TransportFailureOnUpdateIsReconciledByReadingTheTokenBack()
    {
        using var t = new TestClient(new FakeHandler((r, _) => r.Method switch
        {
            "POST" => throw new HttpRequestException("Connection reset"),
            _ => FakeHandler.Json(200, TokenJson(status: "DISABLED")),
        }));

        var token = await t.Client.UpdateTokenAsync(Id, null, ApiTokenStatus.Disabled, default);

        Assert.Equal(ApiTokenStatus.Disabled, token.Status);
        Assert.Equal(["POST", "GET"], t.Handler.Sent.Select(s => s.Method));
    }

    [Fact]
    public async Task TransportFailureOnUpdateThatDidNotApplyIsSentOnceMoreAfterTheReadBack()
    {
        using var t = new TestClient(new FakeHandler((r, n) => (r.Method, n) switch
        {
            ("POST", 1) => throw new HttpRequestException("Connection reset"),
            ("POST", _) => FakeHandler.Json(200, TokenJson(name: "ci-eu")),
            _ => FakeHandler.Json(200, TokenJson()),
        }));

        var token = await t.Client.UpdateTokenAsync(Id, "ci-eu", null, default);

        Assert.Equal("ci-eu", token.Name);
        Assert.Equal(["POST", "GET", "POST"], t.Handler.Sent.Select(s => s.Method));
    }

    [Fact]
    public async Task ThrottledCreateIsRetried()
    {
        const string created = """{"@type":"ApiToken","id":"x","accountId":"acme-A1B2C3","userId":"alice@acme.example","name":"n","tokenPrefix":"123aab","status":"ENABLED","createdDate":"2026-11-27T18:00:00Z","token":"123aab45-67b8-4012-9a45-67c8e9e01e23"}""";
        using var t = new TestClient(new FakeHandler((_, n) => n == 1
            ? FakeHandler.Error(503, "RateLimited", "Too many requests.", RetryAfterOne)
            : FakeHandler.Json(200, created)));

        await t.Client.CreateTokenAsync("n", default);

        Assert.Equal(2, t.Handler.Sent.Count);
    }

    [Fact]
    public async Task DeleteAnswering404AfterATransportFailureCountsAsSuccess()
    {
        using var t = new TestClient(new FakeHandler((_, n) => n == 1
            ? throw new HttpRequestException("Connection reset")
            : FakeHandler.Error(404, "NotFound", $"Token '{Id}' was not found.")));

        await t.Client.RevokeTokenAsync(Id, default);

        Assert.Equal(2, t.Handler.Sent.Count);
        Assert.All(t.Handler.Sent, s => Assert.Equal("DELETE", s.Method));
        Assert.Equal(404, t.Records[1].StatusCode);
        Assert.Contains("counted as success", t.Records[1].Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteAnswering404AtOnceIsNotFound()
    {
        using var t = new TestClient(new FakeHandler((_, _) => FakeHandler.Error(404, "NotFound", $"Token '{Id}' was not found.")));

        var ex = await Assert.ThrowsAsync<ApiException>(() => t.Client.RevokeTokenAsync(Id, default));

        Assert.Equal(ApiErrorKind.NotFound, ex.Kind);
        Assert.Equal(404, ex.StatusCode);
    }

    [Fact]
    public async Task CancellationWhileWaitingForAnAnswerIsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var handler = new FakeHandler(async (_, _, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return FakeHandler.NoContent();
        });
        using var t = new TestClient(handler);

        var call = t.Client.GetTokenAsync(Id, cts.Token);
        await handler.Entered.Task;
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(handler.Sent); // not retried
    }

    [Fact]
    public async Task CancellationDuringARetryWaitIsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var later = new Dictionary<string, string> { ["Retry-After"] = "60" };
        var handler = new FakeHandler((_, _) => FakeHandler.Error(503, "RateLimited", "Too many requests.", later));
        using var t = new TestClient(handler, o => o.RequestObserver = _ => cts.Cancel(), realDelays: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Client.GetTokenAsync(Id, cts.Token));
        Assert.Single(handler.Sent);
    }

    [Fact]
    public async Task CancellationWhileWaitingForTheRateLimiterIsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, TokenJson()));
        using var t = new TestClient(handler, o => o.RequestsPerSecond = 0.001, realDelays: true);

        await t.Client.GetTokenAsync(Id, default); // takes the only slot for the next 1000 s
        var second = t.Client.GetTokenAsync(Id, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.Single(handler.Sent);
    }

    [Fact]
    public async Task AnAlreadyCancelledTokenSendsNothing()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, TokenJson()));
        using var t = new TestClient(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Client.GetTokenAsync(Id, new CancellationToken(true)));
        Assert.Empty(handler.Sent);
    }

    [Fact]
    public async Task ThrottlingSlowsTheClientsRateLimiterDown()
    {
        using var t = new TestClient(
            new FakeHandler((_, n) => n == 1
                ? FakeHandler.Error(503, "RateLimited", "Too many requests.", RetryAfterOne)
                : FakeHandler.Json(200, TokenJson())),
            o => o.RequestsPerSecond = 10);

        await t.Client.GetTokenAsync(Id, default);

        Assert.InRange(t.Client.RateLimiter.CurrentRate, 1, 9.99);
    }

    [Fact]
    public async Task AFailingObserverDoesNotChangeTheOutcome()
    {
        using var t = new TestClient(
            new FakeHandler((_, _) => FakeHandler.Json(200, TokenJson())),
            o => o.RequestObserver = _ => throw new InvalidOperationException("observer bug"));

        var token = await t.Client.GetTokenAsync(Id, default);

        Assert.Equal(Id, token.Id);
    }

    [Theory]
    [InlineData("GET", "/ApiToken/x", true)]
    [InlineData("DELETE", "/ApiToken/x", true)]
    [InlineData("POST", "/ApiToken/query", true)]
    [InlineData("POST", "/ApiToken/queryMore", true)]
    [InlineData("POST", "/ApiToken/bulk", true)]
    [InlineData("POST", "/ApiToken", false)]
    [InlineData("POST", "/ApiToken/x", false)]
    public void OnlyReadsAndDeletesAreRepeatedAfterAnUnansweredAttempt(string method, string path, bool safe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "https://api.boomi.com/api/rest/v1/acme-A1B2C3" + path);
        Assert.Equal(safe, Internal.RetryHandler.IsSafeToRepeat(request));
    }

    [Fact]
    public async Task UnknownErrorAnswersAreServerErrors()
    {
        using var t = new TestClient(new FakeHandler((_, n) => n switch
        {
            1 => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>bad gateway</html>") },
            2 => FakeHandler.Error(409, "SomethingElse", "Odd."),
            _ => FakeHandler.Json(200, "not json"),
        }));

        var badGateway = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));
        var odd409 = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));
        var notJson = await Assert.ThrowsAsync<ApiException>(() => t.Client.GetTokenAsync(Id, default));

        Assert.Equal((ApiErrorKind.ServerError, 502), (badGateway.Kind, badGateway.StatusCode));
        Assert.Equal((ApiErrorKind.ServerError, 409, "SomethingElse"), (odd409.Kind, odd409.StatusCode, odd409.ServerCode));
        Assert.Equal(ApiErrorKind.ServerError, notJson.Kind);
    }
}
