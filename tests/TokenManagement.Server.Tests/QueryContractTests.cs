using System.Text.Json;
using System.Text.Json.Nodes;
using static TokenManagement.Server.Tests.Filters;

namespace TokenManagement.Server.Tests;

/// <summary>The query grammar exactly as docs/api.md states it, where the server used to do something else.</summary>
public sealed class QueryContractTests
{
    private static List<string> Names(IEnumerable<JsonObject> tokens) => tokens.Select(t => t["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

    private static string Id(JsonObject token) => token["id"]!.GetValue<string>();

    [Fact]
    public async Task A_token_without_lastUsedDate_matches_no_comparison_on_it_not_even_NOT_EQUALS()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example", tokenName: "used");
        await alice.Get("Account/acme"); // records the bootstrap token's lastUsedDate
        await alice.Create("never-used");

        Assert.Equal(["used"], Names(await alice.QueryAll(Simple("NOT_EQUALS", "lastUsedDate", "2000-01-01T00:00:00Z"))));
        Assert.Equal(["used"], Names(await alice.QueryAll(Simple("GREATER_THAN", "lastUsedDate", "2000-01-01T00:00:00Z"))));
        Assert.Equal(["never-used"], Names(await alice.QueryAll(Simple("IS_NULL", "lastUsedDate"))));
    }

    [Fact]
    public async Task Id_and_tokenPrefix_compare_case_sensitively_in_every_operator()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var token = await alice.Create("ci");
        var id = Id(token);
        var prefix = token["tokenPrefix"]!.GetValue<string>();
        var letterPrefix = prefix.Any(char.IsLetter) ? prefix : null;

        Assert.Single(await alice.QueryAll(Simple("LIKE", "id", id)));
        Assert.Empty(await alice.QueryAll(Simple("LIKE", "id", id.ToUpperInvariant())));
        Assert.Empty(await alice.QueryAll(Simple("LIKE", "id", id[..4].ToUpperInvariant() + "%")));
        Assert.Empty(await alice.QueryAll(Simple("EQUALS", "id", id.ToUpperInvariant())));
        Assert.Empty(await alice.QueryAll(Simple("STARTS_WITH", "id", id[..4].ToUpperInvariant())));
        Assert.Single(await alice.QueryAll(Simple("LIKE", "tokenPrefix", prefix + "%")));
        if (letterPrefix is not null) { Assert.Empty(await alice.QueryAll(Simple("LIKE", "tokenPrefix", letterPrefix.ToUpperInvariant()))); }
    }

    [Fact]
    public async Task LIKE_escapes_percent_underscore_and_backslash_with_a_backslash()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example", tokenName: "50%off");
        await alice.Create("50xoff");
        await alice.Create("a_b");
        await alice.Create("axb");
        await alice.Create("back\\slash");

        Assert.Equal(["50%off"], Names(await alice.QueryAll(Simple("LIKE", "name", "50\\%%"))));
        Assert.Equal(["50%off", "50xoff"], Names(await alice.QueryAll(Simple("LIKE", "name", "50%off"))));
        Assert.Equal(["a_b"], Names(await alice.QueryAll(Simple("LIKE", "name", "a\\_b"))));
        Assert.Equal(["a_b", "axb"], Names(await alice.QueryAll(Simple("LIKE", "name", "a_b"))));
        Assert.Equal(["back\\slash"], Names(await alice.QueryAll(Simple("LIKE", "name", "back\\\\%"))));
        Assert.Equal(["50%off"], Names(await alice.QueryAll(Simple("LIKE", "id", Id((await alice.QueryAll(Simple("EQUALS", "name", "50%off")))[0])))));
    }

    [Theory]
    [InlineData("a\\b")]
    [InlineData("trailing\\")]
    [InlineData("\\x%")]
    public async Task A_backslash_that_escapes_nothing_is_a_400(string pattern)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.Query(Simple("LIKE", "name", pattern));
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains("argument[0]", answer.Object["message"]!.GetValue<string>());
    }

    private static string Nest(int groupings)
    {
        var expression = """{"operator":"EQUALS","property":"name","argument":["bootstrap"]}""";
        for (var i = 0; i < groupings; i++) { expression = "{\"operator\":\"and\",\"nestedExpression\":[" + expression + "]}"; }
        return "{\"QueryFilter\":{\"expression\":" + expression + "}}";
    }

    [Theory]
    [InlineData(25)]
    [InlineData(31)]
    [InlineData(32)]
    public async Task Groupings_nest_up_to_the_stated_limit_and_page_through_queryMore(int groupings)
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 30, tokensPerUser: 5, DateTimeOffset.UtcNow);
        var seedFilter = Nest(groupings).Replace("\"EQUALS\",\"property\":\"name\",\"argument\":[\"bootstrap\"]", "\"STARTS_WITH\",\"property\":\"name\",\"argument\":[\"seed-\"]");

        var first = await admin.PostRaw("ApiToken/query", seedFilter);
        Assert.True(first.Status == 200, first.Text);
        Assert.Equal(150, first.Object["numberOfResults"]!.GetValue<long>());
        var next = await admin.PostRaw("ApiToken/queryMore", first.Object["queryToken"]!.GetValue<string>(), "text/plain");
        Assert.True(next.Status == 200, next.Text);
        Assert.Equal(50, next.Object["result"]!.AsArray().Count);
    }

    [Fact]
    public async Task One_grouping_past_the_limit_is_refused_with_the_limit_in_the_message()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostRaw("ApiToken/query", Nest(QueryFilterTranslator.MaxNesting + 1));
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains($"deeper than {QueryFilterTranslator.MaxNesting}", answer.Object["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("2026-01-01")]
    [InlineData("2026-01-01T00:00:00")]
    [InlineData("2026-01-01T00:00:00+02:00")]
    [InlineData("2026-01-01T00:00:00.000Z")]
    [InlineData("2026-01-01 00:00:00Z")]
    [InlineData("01/01/2026")]
    [InlineData("2026-02-30T00:00:00Z")]
    [InlineData("+2026-01-01T00:00:00Z")]
    public async Task Dates_are_accepted_only_in_the_contracts_form(string date)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.Query(Simple("LESS_THAN", "createdDate", date));
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains("yyyy-MM-ddTHH:mm:ssZ", answer.Object["message"]!.GetValue<string>());
        Assert.Equal(200, (await alice.Query(Simple("LESS_THAN", "createdDate", "2026-01-01T00:00:00Z"))).Status);
    }

    [Theory]
    [InlineData("""{"operator":"EQUALS","property":"name","argument":[5]}""")]
    [InlineData("""{"operator":"LESS_THAN","property":"createdDate","argument":[1767225600]}""")]
    [InlineData("""{"operator":"EQUALS","property":"status","argument":[true]}""")]
    [InlineData("""{"operator":"EQUALS","property":"name","argument":[null]}""")]
    [InlineData("""{"operator":"EQUALS","property":"name","argument":"x"}""")]
    public async Task Arguments_are_always_JSON_strings(string expression)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostRaw("ApiToken/query", "{\"QueryFilter\":{\"expression\":" + expression + "}}");
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains("argument", answer.Object["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_LIKE_argument_past_its_maximum_is_a_400_not_a_500()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.Query(Simple("LIKE", "name", new string('a', 60_000)));
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains($"{QueryFilterTranslator.MaxArgumentLength}", answer.Object["message"]!.GetValue<string>());
        Assert.True(answer.Object["message"]!.GetValue<string>().Length < 300);
        Assert.Equal(200, (await alice.Query(Simple("LIKE", "name", new string('%', QueryFilterTranslator.MaxArgumentLength)))).Status);
    }

    [Fact]
    public async Task Bulk_takes_1_to_100_ids_each_at_most_100_characters()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        (await alice.Post("ApiToken/bulk", new { type = "GET", request = Array.Empty<object>() })).AssertError(400, "InvalidRequest");
        var tooLong = await alice.Post("ApiToken/bulk", new { type = "GET", request = new[] { new { id = new string('i', 101) } } });
        tooLong.AssertError(400, "InvalidRequest");
        Assert.Contains("request[0].id", tooLong.Object["message"]!.GetValue<string>());
        Assert.Equal(200, (await alice.Post("ApiToken/bulk", new { type = "GET", request = new[] { new { id = new string('i', 100) } } })).Status);
    }

    [Fact]
    public async Task An_id_in_the_path_longer_than_100_characters_is_a_400_that_does_not_repeat_it()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = new string('i', 5_000);
        foreach (var answer in new[] { await alice.Get($"ApiToken/{id}"), await alice.Delete($"ApiToken/{id}"), await alice.Post($"ApiToken/{id}", new { status = "DISABLED" }) })
        {
            answer.AssertError(400, "InvalidRequest");
            Assert.DoesNotContain(new string('i', ApiError.MaxEcho + 1), answer.Text);
        }
    }

    [Fact]
    public async Task A_leaked_value_search_keeps_only_the_values_hash_in_its_query_token()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        server.Store.Seed("acme", users: 30, tokensPerUser: 5, DateTimeOffset.UtcNow);
        var filter = Or(Simple("EQUALS", "token", admin.Token), Simple("STARTS_WITH", "name", "seed-"));
        var queryToken = (await admin.Query(filter)).Object["queryToken"]!.GetValue<string>();

        var caller = server.Store.Authenticate(admin.User, admin.Token, DateTimeOffset.UtcNow)!;
        var state = new QueryTokenCodec(server.Store.GetOrCreateSigningKey(), TimeSpan.FromMinutes(5)).Decode(caller, queryToken, DateTimeOffset.UtcNow);
        var plaintext = JsonSerializer.Serialize(state, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.DoesNotContain(admin.Token, plaintext);
        Assert.DoesNotContain(admin.Token.Replace("-", ""), plaintext);
        Assert.Contains(Convert.ToBase64String(Secrets.Hash(admin.Token)), plaintext);

        // The page after still finds the value by its hash.
        var all = await admin.QueryAll(filter);
        Assert.Contains(all, t => Id(t) == admin.TokenId);
    }

    [Fact]
    public async Task NumberOfResults_and_the_first_page_come_from_one_read()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var writer = new TokenStore(server.Options.DatabasePath);
        var written = 0;
        // A write lands between the count and the page: exactly the race of concurrent clients, chosen, not hoped for.
        server.Store.BetweenCountAndFirstPage = () =>
        {
            if (written++ == 0) { writer.Create("acme", alice.User, "raced-in", 5, DateTimeOffset.UtcNow); }
        };

        var answer = await alice.Query(null);

        Assert.Equal(1, written);
        Assert.Equal(answer.Object["numberOfResults"]!.GetValue<long>(), answer.Object["result"]!.AsArray().Count);
        Assert.Equal(2, (await alice.QueryAll(null)).Count);
    }

    [Theory]
    [InlineData("""{"operator":"LIKE","property":"status","argument":["EN%"]}""", "status")]
    [InlineData("""{"operator":"GREATER_THAN","property":"status","argument":["ENABLED"]}""", "status")]
    [InlineData("""{"operator":"STARTS_WITH","property":"lastUsedDate","argument":["2026"]}""", "lastUsedDate")]
    [InlineData("""{"operator":"NOT_EQUALS","property":"token","argument":["x"]}""", "token")]
    public async Task An_operator_the_property_does_not_take_is_a_400(string expression, string named)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostRaw("ApiToken/query", "{\"QueryFilter\":{\"expression\":" + expression + "}}");
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains(named, answer.Object["message"]!.GetValue<string>());
    }
}
