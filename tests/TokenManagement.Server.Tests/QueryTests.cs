using System.Text.Json.Nodes;
using static TokenManagement.Server.Tests.Filters;

namespace TokenManagement.Server.Tests;

public sealed class QueryTests
{
    private static List<string> Names(IEnumerable<JsonObject> tokens) => tokens.Select(t => t["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Paging_over_250_tokens_returns_each_once_in_order_100_a_page()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 50, tokensPerUser: 5, DateTimeOffset.UtcNow);

        var first = await admin.Query(Simple("STARTS_WITH", "name", "seed-"));
        Assert.Equal(250, first.Object["numberOfResults"]!.GetValue<long>());
        Assert.Equal(100, first.Object["result"]!.AsArray().Count);
        Assert.NotNull(first.Object["queryToken"]);

        var all = await admin.QueryAll(Simple("STARTS_WITH", "name", "seed-"));
        Assert.Equal(250, all.Count);
        Assert.Equal(250, all.Select(t => t["id"]!.GetValue<string>()).Distinct().Count());
        var order = all.Select(t => (t["createdDate"]!.GetValue<string>(), t["id"]!.GetValue<string>())).ToList();
        Assert.Equal(order.OrderBy(o => o.Item1, StringComparer.Ordinal).ThenBy(o => o.Item2, StringComparer.Ordinal), order);
    }

    [Fact]
    public async Task The_last_page_has_no_query_token()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 20, tokensPerUser: 10, DateTimeOffset.UtcNow);

        var first = await admin.Query(null);
        var second = await admin.PostRaw("ApiToken/queryMore", first.Object["queryToken"]!.GetValue<string>(), "text/plain");
        Assert.Equal(200, second.Status);
        Assert.Equal(201, second.Object["numberOfResults"]!.GetValue<long>());
        Assert.Equal(100, second.Object["result"]!.AsArray().Count);
        var third = await admin.PostRaw("ApiToken/queryMore", second.Object["queryToken"]!.GetValue<string>(), "text/plain");
        Assert.Single(third.Object["result"]!.AsArray());
        Assert.Null(third.Object["queryToken"]);
    }

    [Fact]
    public async Task Revoking_between_pages_neither_skips_nor_repeats_a_token()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 50, tokensPerUser: 5, DateTimeOffset.UtcNow);

        var seen = new List<string>();
        var answer = await admin.Query(Simple("STARTS_WITH", "name", "seed-"));
        while (true)
        {
            foreach (var token in answer.Object["result"]!.AsArray())
            {
                var id = token!["id"]!.GetValue<string>();
                seen.Add(id);
                Assert.Equal(204, (await admin.Delete($"ApiToken/{id}")).Status);
            }
            if (answer.Object["queryToken"] is not { } next) { break; }
            answer = await admin.PostRaw("ApiToken/queryMore", next.GetValue<string>(), "text/plain");
        }

        Assert.Equal(250, seen.Distinct().Count());
        Assert.Empty(await admin.QueryAll(Simple("STARTS_WITH", "name", "seed-")));
    }

    [Fact]
    public async Task A_query_token_is_tamper_proof_and_bound_to_its_caller()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        var admin2 = server.AddUser("acme", "admin2@acme.example", admin: true);
        server.Store.Seed("acme", users: 30, tokensPerUser: 5, DateTimeOffset.UtcNow);
        var token = (await admin.Query(null)).Object["queryToken"]!.GetValue<string>();

        var altered = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        (await admin.PostRaw("ApiToken/queryMore", altered, "text/plain")).AssertError(400, "InvalidRequest");
        (await admin.PostRaw("ApiToken/queryMore", "forged", "text/plain")).AssertError(400, "InvalidRequest");
        (await admin.PostRaw("ApiToken/queryMore", "", "text/plain")).AssertError(400, "InvalidRequest");
        (await admin2.PostRaw("ApiToken/queryMore", token, "text/plain")).AssertError(400, "InvalidRequest");
        Assert.Equal(200, (await admin.PostRaw("ApiToken/queryMore", token, "text/plain")).Status);
    }

    [Fact]
    public async Task An_expired_query_token_is_refused()
    {
        await using var server = await TestServer.StartAsync(o => o.QueryTokenLifetime = TimeSpan.FromSeconds(-1));
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 30, tokensPerUser: 5, DateTimeOffset.UtcNow);
        var token = (await admin.Query(null)).Object["queryToken"]!.GetValue<string>();
        (await admin.PostRaw("ApiToken/queryMore", token, "text/plain")).AssertError(400, "InvalidRequest");
    }

    [Fact]
    public async Task A_query_token_holds_no_readable_filter_value()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 30, tokensPerUser: 5, DateTimeOffset.UtcNow);
        var filter = Or(Simple("EQUALS", "token", admin.Token), Simple("STARTS_WITH", "name", "seed-"));
        var token = (await admin.Query(filter)).Object["queryToken"]!.GetValue<string>();
        var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token.Replace('-', '+').Replace('_', '/') + new string('=', (4 - token.Length % 4) % 4)));
        Assert.DoesNotContain(admin.Token, decoded);
        Assert.DoesNotContain("seed-", decoded);
    }

    [Fact]
    public async Task Simple_operators_select_what_they_say()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example", tokenName: "Build-Agent");
        await alice.Create("build_server");
        await alice.Create("deploy");
        var disabled = (await alice.Create("old-deploy"))["id"]!.GetValue<string>();
        await alice.Post($"ApiToken/{disabled}", new { status = "DISABLED" });

        Assert.Equal(["Build-Agent"], Names(await alice.QueryAll(Simple("EQUALS", "name", "build-agent"))));
        Assert.Equal(["Build-Agent", "build_server", "deploy"], Names(await alice.QueryAll(Simple("NOT_EQUALS", "status", "DISABLED"))));
        Assert.Equal(["Build-Agent", "build_server"], Names(await alice.QueryAll(Simple("LIKE", "name", "BUILD%"))));
        Assert.Equal(["Build-Agent", "build_server"], Names(await alice.QueryAll(Simple("LIKE", "name", "build_%"))));
        Assert.Equal(["deploy"], Names(await alice.QueryAll(Simple("LIKE", "name", "d_ploy"))));
        Assert.Equal(["old-deploy"], Names(await alice.QueryAll(Simple("STARTS_WITH", "name", "old-"))));
        Assert.Equal(["old-deploy"], Names(await alice.QueryAll(Simple("EQUALS", "status", "DISABLED"))));
        Assert.Equal(4, (await alice.QueryAll(Simple("EQUALS", "userId", "ALICE@acme.example"))).Count);
        Assert.Equal(4, (await alice.QueryAll(Simple("IS_NOT_NULL", "createdDate"))).Count);
        Assert.Equal(["Build-Agent"], Names(await alice.QueryAll(Simple("IS_NOT_NULL", "lastUsedDate"))));
        Assert.Equal(["build_server", "deploy", "old-deploy"], Names(await alice.QueryAll(Simple("IS_NULL", "lastUsedDate"))));
        Assert.Equal(["deploy"], Names(await alice.QueryAll(Simple("EQUALS", "id", (await alice.QueryAll(Simple("EQUALS", "name", "deploy")))[0]["id"]!.GetValue<string>()))));
    }

    [Fact]
    public async Task Date_operators_compare_dates()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 10, tokensPerUser: 5, DateTimeOffset.UtcNow);
        var all = await admin.QueryAll(Simple("STARTS_WITH", "name", "seed-"));
        var dates = all.Select(t => DateTimeOffset.Parse(t["createdDate"]!.GetValue<string>())).Order().ToList();
        var middle = dates[25].ToString("yyyy-MM-ddTHH:mm:ssZ");
        var later = dates[40].ToString("yyyy-MM-ddTHH:mm:ssZ");

        Assert.Equal(dates.Count(d => d < dates[25]), (await admin.QueryAll(And(Simple("STARTS_WITH", "name", "seed-"), Simple("LESS_THAN", "createdDate", middle)))).Count);
        Assert.Equal(dates.Count(d => d <= dates[25]), (await admin.QueryAll(And(Simple("STARTS_WITH", "name", "seed-"), Simple("LESS_THAN_OR_EQUAL", "createdDate", middle)))).Count);
        Assert.Equal(dates.Count(d => d > dates[25]), (await admin.QueryAll(And(Simple("STARTS_WITH", "name", "seed-"), Simple("GREATER_THAN", "createdDate", middle)))).Count);
        Assert.Equal(dates.Count(d => d >= dates[25]), (await admin.QueryAll(And(Simple("STARTS_WITH", "name", "seed-"), Simple("GREATER_THAN_OR_EQUAL", "createdDate", middle)))).Count);
        Assert.Equal(dates.Count(d => d >= dates[25] && d <= dates[40]), (await admin.QueryAll(And(Simple("STARTS_WITH", "name", "seed-"), Simple("BETWEEN", "createdDate", middle, later)))).Count);
    }

    [Fact]
    public async Task Nested_and_or_groups_combine()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example", tokenName: "a");
        await alice.Create("b");
        var c = (await alice.Create("c"))["id"]!.GetValue<string>();
        await alice.Post($"ApiToken/{c}", new { status = "DISABLED" });
        await alice.Create("d");

        var filter = Or(
            And(Simple("EQUALS", "status", "ENABLED"), Or(Simple("EQUALS", "name", "a"), Simple("EQUALS", "name", "b"))),
            And(Simple("EQUALS", "status", "DISABLED"), Simple("IS_NULL", "lastUsedDate")));
        Assert.Equal(["a", "b", "c"], Names(await alice.QueryAll(filter)));
    }

    [Fact]
    public async Task The_token_property_finds_a_leaked_value_within_what_the_caller_sees()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        var alice = server.AddUser("acme", "alice@acme.example");
        var bob = server.AddUser("acme", "bob@acme.example");
        var leaked = await alice.Create("leaked");

        var found = await admin.QueryAll(Simple("EQUALS", "token", leaked["token"]!.GetValue<string>()));
        Assert.Equal(leaked["id"]!.GetValue<string>(), Assert.Single(found)["id"]!.GetValue<string>());
        Assert.Empty(await bob.QueryAll(Simple("EQUALS", "token", leaked["token"]!.GetValue<string>())));
        (await admin.Query(Simple("LIKE", "token", "abc%"))).AssertError(400, "InvalidRequest");
    }

    [Fact]
    public async Task An_empty_body_and_an_empty_query_filter_match_everything_visible()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        await alice.Create("two");
        Assert.Equal(2, (await alice.PostRaw("ApiToken/query", "{}")).Object["numberOfResults"]!.GetValue<long>());
        Assert.Equal(2, (await alice.PostRaw("ApiToken/query", "{\"QueryFilter\":{}}")).Object["numberOfResults"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"EQUALS","property":"colour","argument":["red"]}}}""", "colour")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"SOUNDS_LIKE","property":"name","argument":["x"]}}}""", "SOUNDS_LIKE")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"BETWEEN","property":"createdDate","argument":["2026-01-01T00:00:00Z"]}}}""", "BETWEEN")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"EQUALS","property":"name","argument":["a","b"]}}}""", "EQUALS")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"IS_NULL","property":"lastUsedDate","argument":["x"]}}}""", "IS_NULL")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"LESS_THAN","property":"lastUsedDate","argument":["last tuesday"]}}}""", "last tuesday")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"EQUALS","property":"status","argument":["PAUSED"]}}}""", "status")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"and","nestedExpression":[]}}}""", "nestedExpression")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"and","nestedExpression":[{"operator":"EQUALS","property":"nope","argument":["x"]}]}}}""", "nestedExpression[0]")]
    [InlineData("""{"QueryFilter":{"expression":{"property":"name","argument":["x"]}}}""", "operator")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"EQUALS","property":"name","argument":[{"a":1}]}}}""", "argument")]
    [InlineData("""{"QueryFilter":{"expression":{"operator":"LIKE","property":"createdDate","argument":["2026%"]}}}""", "LIKE")]
    [InlineData("""{"QueryFilter":"all"}""", "QueryFilter")]
    public async Task A_bad_filter_answers_400_naming_the_offending_part(string body, string named)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostRaw("ApiToken/query", body);
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains(named, answer.Object["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deeply_nested_filter_is_refused_not_crashed()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var expression = """{"operator":"EQUALS","property":"name","argument":["x"]}""";
        for (var i = 0; i < 40; i++) { expression = "{\"operator\":\"and\",\"nestedExpression\":[" + expression + "]}"; }
        (await alice.PostRaw("ApiToken/query", "{\"QueryFilter\":{\"expression\":" + expression + "}}")).AssertError(400, "InvalidRequest");
    }

    [Fact]
    public async Task Filter_input_is_data_not_SQL()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var injected = await alice.QueryAll(Simple("EQUALS", "name", "x' OR '1'='1"));
        Assert.Empty(injected);
        Assert.Single(await alice.QueryAll(null));
    }
}
