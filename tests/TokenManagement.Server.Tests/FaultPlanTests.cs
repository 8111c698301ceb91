using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace TokenManagement.Server.Tests;

/// <summary>Deterministic faults: the test chooses which request fails and how, so a sequence reproduces exactly.</summary>
public sealed class FaultPlanTests
{
    private static long Count(TestServer server) => server.Store.Count(new Caller("acme", "x", true, true, ""), SqlFilter.All);

    [Fact]
    public async Task The_next_two_DELETEs_of_an_id_answer_503_and_the_third_revokes()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("ci"))["id"]!.GetValue<string>();
        server.Options.FaultPlan.Add(new FaultRule { Method = "DELETE", Path = $"*/ApiToken/{id}", Times = 2, Fault = FaultKind.Unavailable });

        var first = await alice.Delete($"ApiToken/{id}");
        Assert.Equal(200, (await alice.Get($"ApiToken/{id}")).Status); // a GET is not counted, and nothing was revoked
        var second = await alice.Delete($"ApiToken/{id}");
        var third = await alice.Delete($"ApiToken/{id}");

        first.AssertError(503, "Unavailable");
        Assert.Equal("1", first.Header("Retry-After"));
        second.AssertError(503, "Unavailable");
        Assert.Equal(204, third.Status);
        (await alice.Delete($"ApiToken/{id}")).AssertError(404, "NotFound");
    }

    [Fact]
    public async Task Abort_after_commit_on_the_third_request_commits_it_and_drops_the_answer()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        server.Options.FaultPlan.Add(new FaultRule { Skip = 2, Fault = FaultKind.AbortAfterCommit });

        Assert.Equal(200, (await alice.Post("ApiToken", new { name = "one" })).Status);
        Assert.Equal(200, (await alice.Post("ApiToken", new { name = "two" })).Status);
        await Assert.ThrowsAsync<HttpRequestException>(() => alice.Post("ApiToken", new { name = "three" }));
        Assert.Equal(200, (await alice.Post("ApiToken", new { name = "four" })).Status);

        Assert.Equal(5, Count(server));
        await server.DisposeAsync();
        Assert.Matches(@"POST /api/rest/v1/acme/ApiToken 200 [\d.]+ms account=acme user=alice@acme\.example connection=aborted fault=abort-after-commit request=", server.Log);
    }

    [Fact]
    public async Task Abort_before_changes_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        server.Options.FaultPlan.Add(new FaultRule { Method = "POST", Path = "/api/rest/v1/acme/ApiToken", Fault = FaultKind.AbortBefore });

        await Assert.ThrowsAsync<HttpRequestException>(() => alice.Post("ApiToken", new { name = "never" }));
        Assert.Equal(1, Count(server));
        Assert.Equal(200, (await alice.Post("ApiToken", new { name = "now" })).Status);
    }

    [Fact]
    public async Task Rate_limited_and_internal_error_answer_their_contract_errors()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        server.Options.FaultPlan.Add(
            new FaultRule { Method = "GET", Times = 1, Fault = FaultKind.RateLimited, RetryAfter = 3 },
            new FaultRule { Method = "GET", Skip = 1, Times = 1, Fault = FaultKind.InternalError });

        var throttled = await alice.Get("Account/acme");
        var failed = await alice.Get("Account/acme");
        var fine = await alice.Get("Account/acme");

        throttled.AssertError(503, "RateLimited");
        Assert.Equal("3", throttled.Header("Retry-After"));
        failed.AssertError(500, "InternalError");
        Assert.Equal(failed.Header("X-Request-Id"), failed.Object["requestId"]!.GetValue<string>());
        Assert.Equal(200, fine.Status);
    }

    [Fact]
    public async Task When_two_rules_are_due_the_first_listed_applies_and_both_count()
    {
        var plan = new FaultPlan();
        plan.Add(
            new FaultRule { Method = "DELETE", Times = 1, Fault = FaultKind.Unavailable },
            new FaultRule { Times = 2, Fault = FaultKind.AbortBefore });

        Assert.Equal(FaultKind.Unavailable, plan.Next("DELETE", "/x")!.Fault);
        Assert.Equal(FaultKind.AbortBefore, plan.Next("GET", "/x")!.Fault);
        Assert.Null(plan.Next("DELETE", "/x"));
        var described = JsonNode.Parse(plan.Describe())!["faults"]!.AsArray();
        Assert.Equal([2, 3], described.Select(r => r!["seen"]!.GetValue<int>()));
        Assert.Equal([1, 1], described.Select(r => r!["fired"]!.GetValue<int>()));
    }

    [Theory]
    [InlineData("""{"faults":[{"fault":"explode"}]}""", "explode")]
    [InlineData("""{"faults":[{"fault":"unavailable","times":0}]}""", "times")]
    [InlineData("""{"faults":[{"fault":"unavailable","tims":2}]}""", "tims")]
    [InlineData("""{"faults":[{"fault":"delay"}]}""", "delayMs")]
    [InlineData("""{"faults":{}}""", "faults")]
    [InlineData("""{"faults":[{"method":5,"fault":"unavailable"}]}""", "method")]
    public void A_plan_with_a_mistake_is_refused_naming_it(string json, string named)
    {
        var failure = Assert.Throws<FormatException>(() => FaultPlan.Parse(json));
        Assert.Contains(named, failure.Message);
    }

    [Fact]
    public async Task The_serve_flags_take_a_plan_as_JSON_or_as_a_file()
    {
        var inline = Cli.ServeOptions(["--fault-plan", """{"faults":[{"method":"delete","times":2,"fault":"unavailable"}]}""", "--fault-admin"]);
        Assert.True(inline.FaultAdmin);
        Assert.Equal(FaultKind.Unavailable, inline.FaultPlan.Next("DELETE", "/")!.Fault);

        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{"faults":[{"skip":1,"fault":"abort-after-commit"}]}""");
            var fromFile = Cli.ServeOptions(["--fault-plan", file]);
            Assert.False(fromFile.FaultAdmin);
            Assert.Null(fromFile.FaultPlan.Next("GET", "/"));
            Assert.Equal(FaultKind.AbortAfterCommit, fromFile.FaultPlan.Next("GET", "/")!.Fault);
        }
        finally { File.Delete(file); }

        var (exit, _, error) = await Run("serve", "--fault-plan", """{"faults":[{"fault":"nope"}]}""");
        Assert.Equal(2, exit);
        Assert.Contains("--fault-plan", error);
    }

    [Fact]
    public async Task The_admin_endpoint_is_off_unless_switched_on()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Root };
        var answer = await http.PutAsync("_faults", new StringContent("""{"faults":[{"fault":"unavailable"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(404, (int)answer.StatusCode);
        Assert.Contains("\"NotFound\"", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_admin_endpoint_replaces_appends_reports_and_clears_the_plan()
    {
        await using var server = await TestServer.StartAsync(o => o.FaultAdmin = true);
        var alice = server.AddUser("acme", "alice@acme.example");
        using var admin = new HttpClient { BaseAddress = server.Root };

        var put = await admin.PutAsync("_faults", new StringContent("""{"faults":[{"method":"GET","path":"*/Account/*","fault":"unavailable","retryAfter":0}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)put.StatusCode);
        (await admin.PostAsync("_faults", new StringContent("""{"faults":[{"method":"GET","path":"*/Account/*","skip":1,"fault":"rate-limited"}]}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var unavailable = await alice.Get("Account/acme");
        unavailable.AssertError(503, "Unavailable");
        Assert.Null(unavailable.Header("Retry-After"));
        (await alice.Get("Account/acme")).AssertError(503, "RateLimited");
        Assert.Equal(200, (await alice.Get("Account/acme")).Status);

        var state = JsonNode.Parse(await admin.GetStringAsync("_faults"))!["faults"]!.AsArray();
        Assert.Equal([1, 1], state.Select(r => r!["fired"]!.GetValue<int>()));
        Assert.Equal([3, 3], state.Select(r => r!["seen"]!.GetValue<int>()));

        var bad = await admin.PutAsync("_faults", new StringContent("""{"faults":[{"fault":"bogus"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal(204, (int)(await admin.DeleteAsync("_faults")).StatusCode);
        Assert.Empty(JsonNode.Parse(await admin.GetStringAsync("_faults"))!["faults"]!.AsArray());
    }

    /// <summary>The way Pester uses it: the real executable, a plan on the command line, the admin endpoint from outside.</summary>
    [Fact]
    public async Task An_out_of_process_server_takes_the_plan_from_its_command_line_and_the_admin_endpoint()
    {
        var directory = Directory.CreateTempSubdirectory("tm-plan-").FullName;
        var database = Path.Combine(directory, "tokens.db");
        var token = await RunOk("add-user", "--database", database, "--account", "acme", "--user", "alice@acme.example");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "TokenManagement.Server.dll"), "serve", "--urls", "http://127.0.0.1:0", "--database", database,
            "--rate-limit", "0", "--fault-plan", """{"faults":[{"method":"GET","path":"*/Account/acme","times":2,"fault":"unavailable"}]}""", "--fault-admin",
        })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        try
        {
            string? line;
            do { line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)); }
            while (line is not null && !line.StartsWith("Listening on ", StringComparison.Ordinal));
            Assert.NotNull(line);
            var root = new Uri(line["Listening on ".Length..]);
            using var http = new HttpClient { BaseAddress = new Uri(root, "/api/rest/v1/acme/") };
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"BOOMI_TOKEN.alice@acme.example:{token}")));

            Assert.Equal(503, (int)(await http.GetAsync("Account/acme")).StatusCode);
            Assert.Equal(503, (int)(await http.GetAsync("Account/acme")).StatusCode);
            Assert.Equal(200, (int)(await http.GetAsync("Account/acme")).StatusCode);

            using var admin = new HttpClient { BaseAddress = root };
            (await admin.PutAsJsonAsync("_faults", JsonNode.Parse("""{"faults":[{"method":"GET","fault":"internal-error"}]}"""))).EnsureSuccessStatusCode();
            Assert.Equal(500, (int)(await http.GetAsync("Account/acme")).StatusCode);
            Assert.Equal(1, JsonNode.Parse(await admin.GetStringAsync("_faults"))!["faults"]![0]!["fired"]!.GetValue<int>());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Cli.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static async Task<string> RunOk(params string[] args)
    {
        var (exit, output, error) = await Run(args);
        Assert.True(exit == 0, error);
        return output.Trim();
    }
}
