using System.Text;
using System.Text.Json;

namespace TokenManagement.Client.Tests;

public sealed class PagingAndBulkTests
{
    private static string Token(int i) =>
        $$"""{"@type":"ApiToken","id":"id{{i}}","accountId":"acme-A1B2C3","userId":"alice@acme.example","name":"t{{i}}","tokenPrefix":"123aab","status":"ENABLED","createdDate":"2026-11-27T18:00:00Z"}""";

    private static HttpResponseMessage Page(int first, int count, long total, string? queryToken) =>
        FakeHandler.Json(200, $$"""{"@type":"QueryResult","numberOfResults":{{total}},{{(queryToken is null ? "" : $"\"queryToken\":\"{queryToken}\",")}}"result":[{{string.Join(",", Enumerable.Range(first, count).Select(Token))}}]}""");

    [Fact]
    public async Task TheNextPageIsRequestedOnlyWhenTheConsumerMovesOn()
    {
        var handler = new FakeHandler((r, _) => r.Path switch
        {
            "/ApiToken/query" => Page(0, 100, 250, "qt-1"),
            "/ApiToken/queryMore" when r.Body == "qt-1" => Page(100, 100, 250, "qt-2"),
            "/ApiToken/queryMore" when r.Body == "qt-2" => Page(200, 50, 250, null),
            _ => throw new InvalidOperationException(r.Path + " " + r.Body),
        });
        using var t = new TestClient(handler);

        await using var pages = t.Client.QueryPagesAsync(null, default).GetAsyncEnumerator();
        Assert.Empty(handler.Sent); // lazy: nothing before the first MoveNext

        Assert.True(await pages.MoveNextAsync());
        Assert.Equal(100, pages.Current.Tokens.Count);
        Assert.Equal(250, pages.Current.NumberOfResults);
        Assert.Single(handler.Sent); // the second page is not requested yet

        Assert.True(await pages.MoveNextAsync());
        Assert.Equal("id100", pages.Current.Tokens[0].Id);
        Assert.Equal(2, handler.Sent.Count);
        Assert.Equal("text/plain", handler.Sent[1].ContentType);

        Assert.True(await pages.MoveNextAsync());
        Assert.Null(pages.Current.QueryToken);
        Assert.False(await pages.MoveNextAsync());
        Assert.Equal(["/ApiToken/query", "/ApiToken/queryMore", "/ApiToken/queryMore"], handler.Sent.Select(s => s.Path));
    }

    private static string Entry(int i, string action = "CREATE", string outcome = "SUCCESS") =>
        $$"""{"@type":"AuditLog","id":"e{{i}}","accountId":"acme-A1B2C3","date":"2026-11-27T18:00:00Z","userId":"admin@acme.example","ownerUserId":"alice@acme.example","action":"{{action}}","tokenId":"id{{i}}","tokenName":"t{{i}}","tokenPrefix":"123aab","level":"ADMINISTRATOR","source":"API","outcome":"{{outcome}}"}""";

    private static HttpResponseMessage AuditPage(int first, int count, long total, string? queryToken, string outcome = "SUCCESS") =>
        FakeHandler.Json(200, $$"""{"@type":"QueryResult","numberOfResults":{{total}},{{(queryToken is null ? "" : $"\"queryToken\":\"{queryToken}\",")}}"result":[{{string.Join(",", Enumerable.Range(first, count).Select(i => Entry(i, "RENAME", outcome)))}}]}""");

    [Fact]
    public async Task AuditLogPagesAreFollowedThroughTheAuditLogsOwnQueryMore()
    {
        var handler = new FakeHandler((r, _) => r.Path switch
        {
            "/AuditLog/query" => AuditPage(0, 100, 150, "qt-a"),
            "/AuditLog/queryMore" when r.Body == "qt-a" => AuditPage(100, 50, 150, null, "NAME_CONFLICT"),
            _ => throw new InvalidOperationException(r.Path + " " + r.Body),
        });
        using var t = new TestClient(handler);

        var page = await t.Client.QueryAuditLogAsync(QueryExpression.Compare("action", "EQUALS", "RENAME"), default);
        Assert.Single(handler.Sent); // the next page only when asked for
        var last = await t.Client.NextAuditLogPageAsync(page, default);

        Assert.Equal(150, last!.NumberOfResults);
        Assert.Equal("e100", last.Entries[0].Id);
        Assert.Equal(AuditAction.Rename, last.Entries[0].Action);
        Assert.Equal(AuditLevel.Administrator, last.Entries[0].Level);
        Assert.Equal(AuditOutcome.NameConflict, last.Entries[0].Outcome);
        Assert.Null(await t.Client.NextAuditLogPageAsync(last, default));
        Assert.Equal(["/AuditLog/query", "/AuditLog/queryMore"], handler.Sent.Select(s => s.Path));
        Assert.Equal("text/plain", handler.Sent[1].ContentType);
    }

    [Fact]
    public async Task AnAuditEntryWithAnUnknownActionIsAnUnexpectedAnswerNotAGuess()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, $$"""{"@type":"QueryResult","numberOfResults":1,"result":[{{Entry(0, "ROTATE")}}]}"""));
        using var t = new TestClient(handler);

        var failure = await Assert.ThrowsAsync<ApiException>(() => t.Client.QueryAuditLogAsync(null, default));

        Assert.Equal(ApiErrorKind.ServerError, failure.Kind);
        Assert.Contains("unknown action 'ROTATE'", failure.Message);
    }

    [Fact]
    public async Task StoppingEarlyRequestsNoFurtherPages()
    {
        var handler = new FakeHandler((r, _) => Page(0, 100, 250, "qt-1"));
        using var t = new TestClient(handler);

        await foreach (var page in t.Client.QueryPagesAsync(null, default))
        {
            Assert.Equal(100, page.Tokens.Count);
            break;
        }

        Assert.Single(handler.Sent);
    }

    [Fact]
    public async Task BulkSplitsMoreThan100IdsAndKeepsTheCallersIndexes()
    {
        var handler = new FakeHandler((r, _) =>
        {
            using var doc = JsonDocument.Parse(r.Body!);
            var ids = doc.RootElement.GetProperty("request").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
            var items = ids.Select((id, i) => $$"""{"index":{{i}},"id":"{{id}}","statusCode":404,"errorMessage":"Token '{{id}}' was not found."}""");
            return FakeHandler.Json(200, $$"""{"@type":"BulkResult","response":[{{string.Join(",", items)}}]}""");
        });
        using var t = new TestClient(handler);
        var ids = Enumerable.Range(0, 250).Select(i => "id" + i).ToList();

        var result = await t.Client.BulkGetAsync(ids, default);

        Assert.Equal(3, handler.Sent.Count);
        Assert.Equal([100, 100, 50], handler.Sent.Select(s => JsonDocument.Parse(s.Body!).RootElement.GetProperty("request").GetArrayLength()));
        Assert.All(handler.Sent, s => Assert.Contains("\"type\":\"GET\"", s.Body, StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(0, 250), result.Select(i => i.Index));
        Assert.Equal(ids, result.Select(i => i.Id));
    }

    [Fact]
    public async Task BulkOfNoIdsSendsNothing()
    {
        var handler = new FakeHandler((_, _) => throw new InvalidOperationException());
        using var t = new TestClient(handler);

        Assert.Empty(await t.Client.BulkGetAsync([], default));
        Assert.Empty(handler.Sent);
    }
}

public sealed class QueryEncodingTests
{
    [Fact]
    public async Task NestedAndOrFilterIsSentInThePlatformsGrammar()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, """{"@type":"QueryResult","numberOfResults":0,"result":[]}"""));
        using var t = new TestClient(handler);
        var filter = QueryExpression.And(
            QueryExpression.Compare("status", "EQUALS", "ENABLED"),
            QueryExpression.Or(
                QueryExpression.Compare("lastUsedDate", "LESS_THAN", "2026-08-01T00:00:00Z"),
                QueryExpression.Compare("lastUsedDate", "IS_NULL")));

        await t.Client.QueryAsync(filter, default);

        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "contract", "query-filter.json")));
        using var sent = JsonDocument.Parse(handler.Sent[0].Body!);
        Assert.True(JsonElement.DeepEquals(golden.RootElement.GetProperty("request").GetProperty("body"), sent.RootElement), handler.Sent[0].Body);
    }

    [Fact]
    public async Task NoFilterIsAnEmptyObject()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, """{"@type":"QueryResult","numberOfResults":0,"result":[]}"""));
        using var t = new TestClient(handler);

        var page = await t.Client.QueryAsync(null, default);

        Assert.Equal("{}", handler.Sent[0].Body);
        Assert.Equal("application/json", handler.Sent[0].ContentType);
        Assert.Empty(page.Tokens);
        Assert.Null(page.QueryToken);
    }

    [Fact]
    public async Task FindTokenByValueQueriesPropertyTokenEquals()
    {
        var handler = new FakeHandler((_, n) => FakeHandler.Json(200, n == 1
            ? """{"@type":"QueryResult","numberOfResults":1,"result":[{"@type":"ApiToken","id":"abc","accountId":"acme-A1B2C3","userId":"alice@acme.example","name":"ci","tokenPrefix":"123aab","status":"DISABLED","createdDate":"2026-11-27T18:00:00Z","futureProperty":{"x":1}}]}"""
            : """{"@type":"QueryResult","numberOfResults":0,"result":[]}"""));
        using var t = new TestClient(handler);

        var found = await t.Client.FindTokenByValueAsync(TestClient.Secure(TestClient.TokenValue), default);
        var none = await t.Client.FindTokenByValueAsync(TestClient.Secure("00000000-0000-4000-8000-000000000000"), default);

        Assert.Equal("abc", found?.Id);
        Assert.Equal(ApiTokenStatus.Disabled, found?.Status);
        Assert.Null(none);
        using var sent = JsonDocument.Parse(handler.Sent[0].Body!);
        using var expected = JsonDocument.Parse("{\"QueryFilter\":{\"expression\":{\"operator\":\"EQUALS\",\"property\":\"token\",\"argument\":[\"" + TestClient.TokenValue + "\"]}}}");
        Assert.True(JsonElement.DeepEquals(expected.RootElement, sent.RootElement));
    }
}

public sealed class SecretTests
{
    [Fact]
    public async Task AuthorizationIsBasicWithTheBoomiTokenUserAndTheTokenValue()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, """{"@type":"Account","accountId":"acme-A1B2C3","name":"Acme","status":"active"}"""));
        using var t = new TestClient(handler);

        await t.Client.GetAccountAsync(default);

        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"BOOMI_TOKEN.alice@acme.example:{TestClient.TokenValue}"));
        Assert.Equal(expected, handler.Sent[0].Authorization);
        Assert.Equal("/Account/acme-A1B2C3", handler.Sent[0].Path);
    }

    [Fact]
    public async Task AUserIdWithoutThePrefixGetsIt()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, """{"@type":"Account","accountId":"acme-A1B2C3","name":"Acme","status":"active"}"""));
        using var t = new TestClient(handler, o => o.UserId = "alice@acme.example");

        await t.Client.GetAccountAsync(default);

        Assert.StartsWith("Basic ", handler.Sent[0].Authorization, StringComparison.Ordinal);
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(handler.Sent[0].Authorization!.Substring(6)));
        Assert.Equal($"BOOMI_TOKEN.alice@acme.example:{TestClient.TokenValue}", decoded);
    }

    public static TheoryData<string> FailureScenarios() => ["401", "transport", "timeout", "500", "echo", "503", "create-unanswered", "create-bad-json"];

    [Theory]
    [MemberData(nameof(FailureScenarios))]
    public async Task TheTokenValueAppearsInNoExceptionMessageAndNoRequestRecord(string scenario)
    {
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"BOOMI_TOKEN.alice@acme.example:{TestClient.TokenValue}"));
        const string recent = """{"@type":"QueryResult","numberOfResults":1,"result":[{"@type":"ApiToken","id":"abc","accountId":"acme-A1B2C3","userId":"alice@acme.example","name":"ci","tokenPrefix":"123aab","status":"ENABLED","createdDate":"2099-01-01T00:00:00Z"}]}""";
        var handler = new FakeHandler(async (r, _, ct) =>
        {
            switch (scenario)
            {
                case "401": return FakeHandler.Error(401, "Unauthorized", "The credentials are not valid.");
                case "transport": throw new HttpRequestException("Connection refused");
                case "timeout": await Task.Delay(Timeout.Infinite, ct); return FakeHandler.NoContent();
                case "500": return FakeHandler.Error(500, "InternalError", "Fault.");
                case "echo": return FakeHandler.Error(400, "InvalidRequest", $"Bad argument '{TestClient.TokenValue}'."); // breaks the contract
                case "503": return FakeHandler.Error(503, "RateLimited", "Slow down.", new Dictionary<string, string> { ["Retry-After"] = "1" });
                case "create-unanswered" when r.Path == "/ApiToken": throw new HttpRequestException("Connection reset");
                case "create-unanswered": return FakeHandler.Json(200, recent);
                default: return FakeHandler.Json(200, "{\"token\":\"" + TestClient.TokenValue + "\", \"id\": ");
            }
        });
        using var t = new TestClient(handler, o =>
        {
            o.MaxRetries = 1;
            o.Timeout = TimeSpan.FromMilliseconds(50);
        });

        var ex = await Record.ExceptionAsync(() => scenario switch
        {
            "echo" => t.Client.FindTokenByValueAsync(TestClient.Secure(TestClient.TokenValue), default),
            "create-unanswered" or "create-bad-json" => t.Client.CreateTokenAsync("ci", default),
            _ => t.Client.GetAccountAsync(default),
        });

        var apiException = Assert.IsType<ApiException>(ex);
        Assert.NotEmpty(t.Records);
        var texts = t.Records.Select(r => r.ToString()).Append(apiException.ToString()).Append(apiException.Message);
        Assert.All(texts, text =>
        {
            Assert.DoesNotContain(TestClient.TokenValue, text, StringComparison.Ordinal);
            Assert.DoesNotContain(basic, text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task CreateReturnsTheValueAsAReadOnlySecureString()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "contract", "create.json"));
        using var golden = JsonDocument.Parse(json);
        var body = golden.RootElement.GetProperty("response").GetProperty("body").GetRawText();
        using var t = new TestClient(new FakeHandler((_, _) => FakeHandler.Json(200, body)));

        var created = await t.Client.CreateTokenAsync("ci-pipeline", default);

        Assert.True(created.Value.IsReadOnly());
        Assert.Equal(36, created.Value.Length);
        Assert.Equal("ci-pipeline", created.Token.Name);
    }

    [Fact]
    public async Task TheClientKeepsItsOwnCopyOfTheCredential()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, """{"@type":"Account","accountId":"acme-A1B2C3","name":"Acme","status":"active"}"""));
        using var t = new TestClient(handler);

        t.Options.Token.Dispose();
        await t.Client.GetAccountAsync(default);

        Assert.NotNull(handler.Sent[0].Authorization);
    }

    [Fact]
    public async Task DisposeReleasesTheClient()
    {
        var handler = new FakeHandler((_, _) => FakeHandler.Json(200, "{}"));
        var t = new TestClient(handler);
        t.Dispose();
        t.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => t.Client.GetAccountAsync(default));
    }
}

public sealed class RateLimiterTests
{
    private sealed class FakeClock
    {
        public TimeSpan Now { get; set; }
        public List<TimeSpan> Waits { get; } = [];

        public Task Delay(TimeSpan wait, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            Waits.Add(wait);
            return Task.CompletedTask; // the clock does not move unless the test moves it
        }
    }

    [Fact]
    public async Task RequestsAreSpacedAtTheConfiguredRate()
    {
        var clock = new FakeClock();
        var limiter = new Internal.AdaptiveRateLimiter(4, () => clock.Now, clock.Delay);

        for (var i = 0; i < 4; i++)
        {
            await limiter.WaitAsync(default);
        }

        Assert.Equal([TimeSpan.FromSeconds(0.25), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(0.75)], clock.Waits);
    }

    [Fact]
    public async Task ThrottlingHalvesTheRateAndHoldsEveryoneUntilRetryAfterThenItRecovers()
    {
        var clock = new FakeClock();
        var limiter = new Internal.AdaptiveRateLimiter(10, () => clock.Now, clock.Delay);

        limiter.OnThrottled(TimeSpan.FromSeconds(2), sentAt: clock.Now);
        Assert.Equal(5, limiter.CurrentRate, 6);
        await limiter.WaitAsync(default);
        Assert.Equal([TimeSpan.FromSeconds(2)], clock.Waits);

        // Five more episodes: each throttled request was sent after the previous decrease.
        for (var i = 0; i < 5; i++)
        {
            clock.Now += TimeSpan.FromSeconds(10);
            limiter.OnThrottled(null, sentAt: clock.Now);
        }

        Assert.Equal(1, limiter.CurrentRate, 6); // never below a tenth

        for (var i = 0; i < 30; i++)
        {
            limiter.OnAnswered();
        }

        Assert.Equal(10, limiter.CurrentRate, 6);
    }

    [Fact]
    public async Task ZeroSwitchesTheLimiterOff()
    {
        var clock = new FakeClock();
        var limiter = new Internal.AdaptiveRateLimiter(0, () => clock.Now, clock.Delay);

        for (var i = 0; i < 100; i++)
        {
            await limiter.WaitAsync(default);
        }

        limiter.OnThrottled(TimeSpan.FromSeconds(5), sentAt: clock.Now);
        Assert.Empty(clock.Waits);
        Assert.Equal(0, limiter.CurrentRate);
        Assert.False(limiter.Enabled);
    }

    [Fact]
    public async Task WaitingIsCancellable()
    {
        var limiter = new Internal.AdaptiveRateLimiter(0.001, () => TimeSpan.Zero, (w, ct) => Task.Delay(w, ct));
        await limiter.WaitAsync(default);
        using var cts = new CancellationTokenSource();

        var wait = limiter.WaitAsync(cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }
}
