using System.Text;
using System.Text.RegularExpressions;

namespace TokenManagement.Server.Tests;

/// <summary>Strict decoding: every body that is not valid Unicode JSON is a 400 naming where, never a 500.</summary>
public sealed class RequestDecodingTests
{
    /// <summary>A JSON escape of a lone high surrogate: valid JSON syntax, not valid Unicode.</summary>
    private const string Lone = "\\ud800";

    [Theory]
    [InlineData("ApiToken", "{\"name\":\"x" + Lone + "\"}", "name")]
    [InlineData("ApiToken/{id}", "{\"name\":\"x" + Lone + "\"}", "name")]
    [InlineData("ApiToken/{id}", "{\"status\":\"ENABLED" + Lone + "\"}", "status")]
    [InlineData("ApiToken/query", "{\"QueryFilter\":{\"expression\":{\"operator\":\"EQUALS" + Lone + "\",\"property\":\"name\",\"argument\":[\"x\"]}}}", "operator")]
    [InlineData("ApiToken/query", "{\"QueryFilter\":{\"expression\":{\"operator\":\"EQUALS\",\"property\":\"name" + Lone + "\",\"argument\":[\"x\"]}}}", "property")]
    [InlineData("ApiToken/query", "{\"QueryFilter\":{\"expression\":{\"operator\":\"EQUALS\",\"property\":\"name\",\"argument\":[\"x" + Lone + "\"]}}}", "argument[0]")]
    [InlineData("ApiToken/query", "{\"QueryFilter\":{\"expression\":{\"operator\":\"EQUALS\",\"property\":\"name\",\"argument\":[\"x\"],\"x" + Lone + "\":1}}}", "expression")]
    [InlineData("ApiToken/bulk", "{\"type\":\"GET\",\"request\":[{\"id\":\"a\"},{\"id\":\"b" + Lone + "\"}]}", "request[1].id")]
    [InlineData("ApiToken/bulk", "{\"type\":\"GET" + Lone + "\",\"request\":[{\"id\":\"a\"}]}", "type")]
    [InlineData("ApiToken", "{\"name\":\"x\\udc00y\"}", "name")]
    public async Task A_lone_surrogate_in_any_string_is_a_400_naming_where(string path, string body, string named)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostRaw(path.Replace("{id}", alice.TokenId), body);

        answer.AssertError(400, "InvalidRequest");
        Assert.Contains(named, answer.Object["message"]!.GetValue<string>());
        Assert.Single(await alice.QueryAll(null));
    }

    public static TheoryData<string, string, string> InvalidUtf8() => new()
    {
        // A truncated two-byte sequence, a surrogate encoded as UTF-8 (CESU), a byte that never occurs in UTF-8.
        { "ApiToken", "{\"name\":\"caf\xC3(\"}", "name" },
        { "ApiToken", "{\"name\":\"x\xED\xA0\x80\"}", "name" },
        { "ApiToken/bulk", "{\"type\":\"GET\",\"request\":[{\"id\":\"\xFF\"}]}", "request[0].id" },
        { "ApiToken/query", "{\"QueryFilter\":{\"expression\":{\"operator\":\"LIKE\",\"property\":\"name\",\"argument\":[\"\xC0\xAF\"]}}}", "argument[0]" },
        { "ApiToken/query", "{\"QueryFilter\":{\"expression\":{\"operator\":\"EQUALS\",\"property\":\"name\",\"argument\":[\"x\"],\"\xFE\":1}}}", "expression" },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Invalid_UTF8_in_any_string_is_a_400_naming_where(string path, string latin1Body, string named)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostBytes(path, Encoding.Latin1.GetBytes(latin1Body));

        answer.AssertError(400, "InvalidRequest");
        Assert.Contains(named, answer.Object["message"]!.GetValue<string>());
        Assert.Single(await alice.QueryAll(null));
    }

    [Fact]
    public async Task Invalid_UTF8_outside_strings_and_in_a_query_token_is_a_400()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        (await alice.PostBytes("ApiToken", [(byte)'{', 0xFF, (byte)'}'])).AssertError(400, "InvalidRequest");
        (await alice.PostBytes("ApiToken/queryMore", [0xC3, 0x28], "text/plain")).AssertError(400, "InvalidRequest");
    }

    [Fact]
    public async Task A_property_given_twice_is_a_400_not_a_guess()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.PostRaw("ApiToken", "{\"name\":\"first\",\"name\":\"second\"}");
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains("'name'", answer.Object["message"]!.GetValue<string>());
        Assert.Single(await alice.QueryAll(null));
    }

    [Fact]
    public async Task A_deep_path_in_a_message_is_shown_by_its_last_100_characters()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        // 98 levels of {"a":[ ... ]} with a property twice at the bottom: the path alone is 500 characters.
        var body = string.Concat(Enumerable.Repeat("{\"a\":[", 49)) + "{\"x\":1,\"x\":2}" + string.Concat(Enumerable.Repeat("]}", 49));

        var answer = await alice.PostRaw("ApiToken/bulk", body);

        answer.AssertError(400, "InvalidRequest");
        var message = answer.Object["message"]!.GetValue<string>();
        Assert.True(message.Length <= 200, message);
        Assert.Contains("'x' twice in …", message);
        Assert.EndsWith(".a[0].", message);
    }

    [Fact]
    public async Task Deep_JSON_is_refused_with_its_own_message_not_as_invalid_JSON()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var deep = new string('[', 20_000) + new string(']', 20_000);
        var answer = await alice.PostRaw("ApiToken", deep);
        answer.AssertError(400, "InvalidRequest");
        Assert.Contains("deeper than", answer.Object["message"]!.GetValue<string>());
        (await alice.PostRaw("ApiToken", "{\"name\":\"x\",}")).AssertError(400, "InvalidRequest");
    }

    [Fact]
    public async Task A_500_logs_its_cause_with_a_request_id_that_the_answer_carries()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("ci"))["id"]!.GetValue<string>();
        BreakTheTokensTable(server.Options.DatabasePath);

        var answer = await alice.Get($"ApiToken/{id}");

        answer.AssertError(500, "InternalError");
        var requestId = answer.Header("X-Request-Id");
        Assert.False(string.IsNullOrEmpty(requestId));
        Assert.Equal(requestId, answer.Object["requestId"]!.GetValue<string>());
        Assert.Contains(requestId!, answer.Object["message"]!.GetValue<string>());
        Assert.DoesNotContain("Sqlite", answer.Text);
        await server.DisposeAsync();
        var line = Assert.Single(server.Log.Split('\n'), l => l.Contains($"GET /api/rest/v1/acme/ApiToken/{id} 500 "));
        Assert.Contains($"request={requestId}", line);
        Assert.Matches(new Regex("error=\"Microsoft\\.Data\\.Sqlite\\.SqliteException: .*no such column"), line);
        Assert.DoesNotContain(alice.Token, server.Log);
    }

    [Fact]
    public async Task Every_answer_carries_a_request_id()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var ok = await alice.Get("Account/acme");
        var missing = await alice.Get("ApiToken/nope");
        Assert.Matches("^[0-9a-f]{16}$", ok.Header("X-Request-Id"));
        Assert.NotEqual(ok.Header("X-Request-Id"), missing.Header("X-Request-Id"));
    }

    [Theory]
    [InlineData("a\u202Eb", "a\\u202Eb")]
    [InlineData("tab\there", "tab\\u0009here")]
    [InlineData("plain", "plain")]
    public void Echoed_input_is_bounded_and_shows_invisible_characters(string input, string shown)
    {
        Assert.Equal(shown, ApiError.Echo(input));
        var long_ = ApiError.Echo(new string('x', 20_000));
        Assert.True(long_.Length <= ApiError.MaxEcho + 1, long_);
        // A cut never splits a surrogate pair.
        var emoji = ApiError.Echo(string.Concat(Enumerable.Repeat("\U0001F600", 200)));
        Assert.False(char.IsHighSurrogate(emoji.TrimEnd('…')[^1]));
    }

    /// <summary>A schema change behind the service's back: every read of a token fails inside SQLite.</summary>
    private static void BreakTheTokensTable(string path)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "ALTER TABLE tokens RENAME COLUMN token_prefix TO prefix_was_here";
        command.ExecuteNonQuery();
    }
}
