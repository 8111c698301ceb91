using Microsoft.Data.Sqlite;

namespace TokenManagement.Server.Tests;

/// <summary>Bulk reads, bad input, rate limiting, fault injection, storage and logs.</summary>
public sealed class RequestHandlingTests
{
    [Fact]
    public async Task Bulk_read_answers_each_id_with_its_own_status()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var bob = server.AddUser("acme", "bob@acme.example");
        var mine = (await alice.Create("mine"))["id"]!.GetValue<string>();
        var bobs = (await bob.Create("bobs"))["id"]!.GetValue<string>();

        var answer = await alice.Post("ApiToken/bulk", new { type = "GET", request = new[] { new { id = mine }, new { id = "missing" }, new { id = bobs } } });

        Assert.Equal(200, answer.Status);
        Assert.Equal("BulkResult", answer.Object["@type"]!.GetValue<string>());
        var items = answer.Object["response"]!.AsArray();
        Assert.Equal([0, 1, 2], items.Select(i => i!["index"]!.GetValue<int>()));
        Assert.Equal([200, 404, 404], items.Select(i => i!["statusCode"]!.GetValue<int>()));
        Assert.Equal("mine", items[0]!["Result"]!["name"]!.GetValue<string>());
        Assert.Equal("missing", items[1]!["id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(items[1]!["errorMessage"]!.GetValue<string>()));
        Assert.Null(items[1]!["Result"]);
    }

    /// <summary>Found by the fuzz suite (seed 20261202): the same id twice answered 500.</summary>
    [Fact]
    public async Task Bulk_read_answers_an_id_asked_for_twice_twice()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("mine"))["id"]!.GetValue<string>();

        var answer = await alice.Post("ApiToken/bulk", new { type = "GET", request = new[] { new { id }, new { id = "missing" }, new { id } } });

        Assert.Equal(200, answer.Status);
        Assert.Equal([200, 404, 200], answer.Object["response"]!.AsArray().Select(i => i!["statusCode"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Bulk_read_takes_at_most_100_ids()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var ids = Enumerable.Range(0, 101).Select(i => new { id = $"id{i}" }).ToArray();
        (await alice.Post("ApiToken/bulk", new { type = "GET", request = ids })).AssertError(400, "InvalidRequest");
        Assert.Equal(100, (await alice.Post("ApiToken/bulk", new { type = "GET", request = ids[..100] })).Object["response"]!.AsArray().Count);
        (await alice.Post("ApiToken/bulk", new { type = "DELETE", request = ids[..1] })).AssertError(400, "InvalidRequest");
    }

    [Theory]
    [InlineData("ApiToken", "{\"name\":")]
    [InlineData("ApiToken", "[1,2]")]
    [InlineData("ApiToken", "")]
    [InlineData("ApiToken", "{\"name\":null}")]
    [InlineData("ApiToken/query", "not json")]
    [InlineData("ApiToken/bulk", "{}")]
    public async Task Malformed_requests_answer_400_and_change_nothing(string path, string body)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        (await alice.PostRaw(path, body)).AssertError(400, "InvalidRequest");
        Assert.Single(await alice.QueryAll(null));
    }

    [Fact]
    public async Task A_huge_body_is_refused_with_400()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostRaw("ApiToken", "{\"name\":\"" + new string('a', 200_000) + "\"}");
        answer.AssertError(400, "InvalidRequest");
        Assert.Single(await alice.QueryAll(null));
    }

    [Fact]
    public async Task Unknown_paths_and_methods_answer_JSON_errors()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        (await alice.Get("Nothing/here")).AssertError(404, "NotFound");
        using var http = new HttpClient();
        var root = await http.GetAsync(server.Root);
        Assert.Equal(404, (int)root.StatusCode);
        Assert.Contains("\"NotFound\"", await root.Content.ReadAsStringAsync());
        var put = await alice.Http.PutAsync("ApiToken/x", new StringContent("{}"));
        Assert.Contains("\"@type\":\"Error\"", await put.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_rate_limit_answers_503_RateLimited_with_Retry_After_and_changes_nothing()
    {
        await using var server = await TestServer.StartAsync(o => o.RateLimit = 1);
        var alice = server.AddUser("acme", "alice@acme.example");
        var answers = new List<Answer>();
        for (var i = 0; i < 20; i++) { answers.Add(await alice.Post("ApiToken", new { name = $"t{i}" })); }

        var throttled = answers.Where(a => a.Status == 503).ToList();
        Assert.NotEmpty(throttled);
        Assert.All(throttled, a =>
        {
            a.AssertError(503, "RateLimited");
            Assert.True(int.Parse(a.Headers.GetValues("Retry-After").Single()) >= 1);
        });
        var created = answers.Count(a => a.Status == 200);
        Assert.Equal(1 + created, server.Store.Count(new Caller("acme", "alice@acme.example", true, true, ""), SqlFilter.All));
    }

    [Fact]
    public async Task The_rate_limit_is_per_account()
    {
        var time = new ManualTime();
        var limiter = new AccountRateLimiter(2, time);
        Assert.True(limiter.TryAcquire("acme", out _));
        Assert.True(limiter.TryAcquire("acme", out _));
        Assert.False(limiter.TryAcquire("acme", out var retryAfter));
        Assert.Equal(1, retryAfter);
        Assert.True(limiter.TryAcquire("globex", out _));
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(limiter.TryAcquire("acme", out _));
        Assert.False(limiter.TryAcquire("acme", out _));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Fault_rate_answers_503_Unavailable_before_touching_anything()
    {
        await using var server = await TestServer.StartAsync(o => o.FaultRate = 1);
        var alice = server.AddUser("acme", "alice@acme.example");

        var answer = await alice.Post("ApiToken", new { name = "never" });

        answer.AssertError(503, "Unavailable");
        Assert.Equal("1", answer.Headers.GetValues("Retry-After").Single());
        Assert.Equal(1, server.Store.Count(new Caller("acme", "alice@acme.example", true, true, ""), SqlFilter.All));
    }

    [Fact]
    public async Task Fault_abort_rate_aborts_after_the_change_is_committed()
    {
        await using var server = await TestServer.StartAsync(o => o.FaultAbortRate = 1);
        var alice = server.AddUser("acme", "alice@acme.example");

        await Assert.ThrowsAsync<HttpRequestException>(() => alice.Post("ApiToken", new { name = "committed" }));

        Assert.Equal(2, server.Store.Count(new Caller("acme", "alice@acme.example", true, true, ""), SqlFilter.All));
        await server.DisposeAsync();
        Assert.Matches(@"POST /api/rest/v1/acme/ApiToken 200 [\d.]+ms account=acme user=alice@acme\.example connection=aborted", server.Log);
    }

    [Fact]
    public async Task Latency_delays_every_response()
    {
        await using var server = await TestServer.StartAsync(o => o.LatencyMs = 5_000);
        var alice = server.AddUser("acme", "alice@acme.example");
        alice.Http.Timeout = TimeSpan.FromMilliseconds(200);
        await Assert.ThrowsAsync<TaskCanceledException>(() => alice.Get("Account/acme"));
    }

    [Fact]
    public async Task Token_values_are_stored_only_as_hashes()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var value = (await alice.Create("ci"))["token"]!.GetValue<string>();
        await server.ClientFor("acme", "alice@acme.example", value).Get("Account/acme");

        SqliteConnection.ClearAllPools();
        var bytes = string.Join("", Directory.GetFiles(Path.GetDirectoryName(server.Options.DatabasePath)!, "tokens.db*")
            .Select(f => System.Text.Encoding.Latin1.GetString(ReadShared(f))));
        Assert.DoesNotContain(value, bytes);
        Assert.DoesNotContain(alice.Token, bytes);
        Assert.Contains(System.Text.Encoding.Latin1.GetString(Secrets.Hash(value)), bytes);

        using var connection = new SqliteConnection($"Data Source={server.Options.DatabasePath};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT token_hash, token_prefix FROM tokens WHERE name = 'ci'";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)), (byte[])reader[0]);
        Assert.Equal(value[..6], reader.GetString(1));
    }

    [Fact]
    public async Task The_log_has_one_line_per_request_and_never_a_secret()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var created = await alice.Create("ci");
        var value = created["token"]!.GetValue<string>();
        await alice.Query(Filters.Simple("EQUALS", "token", value));
        await server.ClientFor("acme", "alice@acme.example", "wrong-" + value).Get("Account/acme");
        await server.DisposeAsync();

        var lines = server.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"POST /api/rest/v1/acme/ApiToken 200 [\d.]+ms account=acme user=alice@acme\.example", lines[0]);
        Assert.Matches(@"POST /api/rest/v1/acme/ApiToken/query 200 ", lines[1]);
        Assert.Matches(@"GET /api/rest/v1/acme/Account/acme 401 [\d.]+ms account=- user=-", lines[2]);
        Assert.DoesNotContain(value, server.Log);
        Assert.DoesNotContain(alice.Token, server.Log);
        Assert.DoesNotContain("Basic", server.Log);
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }
}
