using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using static TokenManagement.Server.Tests.Filters;

namespace TokenManagement.Server.Tests;

/// <summary>The audit log (docs/api.md, The AuditLog object): an entry per token action, who sees which, query and paging, append-only, no values.</summary>
public sealed class AuditLogTests
{
    private const string Alice = "alice@acme.example";
    private const string Bob = "bob@acme.example";
    private const string Admin = "admin@acme.example";

    private static string S(JsonObject o, string property) => o[property]!.GetValue<string>();

    private static Task<List<JsonObject>> Entries(ApiClient caller, object? filter = null) => caller.QueryAll(filter, "AuditLog");

    private static Task<List<JsonObject>> EntriesOf(ApiClient caller, string tokenId) => Entries(caller, Simple("EQUALS", "tokenId", tokenId));

    private static void AssertEntry(JsonObject entry, string action, string actor, string owner, string level, string outcome, JsonObject token)
    {
        Assert.Equal("AuditLog", S(entry, "@type"));
        Assert.Equal(action, S(entry, "action"));
        Assert.Equal(actor, S(entry, "userId"));
        Assert.Equal(owner, S(entry, "ownerUserId"));
        Assert.Equal(level, S(entry, "level"));
        Assert.Equal(outcome, S(entry, "outcome"));
        Assert.Equal("API", S(entry, "source"));
        Assert.Equal(S(token, "id"), S(entry, "tokenId"));
        Assert.Equal(S(token, "tokenPrefix"), S(entry, "tokenPrefix"));
        Assert.Equal("acme", S(entry, "accountId"));
        Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", S(entry, "date"));
        Assert.Equal(20, S(entry, "id").Length);
    }

    [Fact]
    public async Task Each_action_of_an_owner_writes_one_USER_entry_in_order()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        var token = await alice.Create("ci");
        var id = S(token, "id");

        Assert.Equal(200, (await alice.Post($"ApiToken/{id}", new { name = "ci-renamed" })).Status);
        Assert.Equal(200, (await alice.Post($"ApiToken/{id}", new { status = "DISABLED" })).Status);
        Assert.Equal(200, (await alice.Post($"ApiToken/{id}", new { status = "ENABLED" })).Status);
        Assert.Equal(204, (await alice.Delete($"ApiToken/{id}")).Status);

        var entries = await EntriesOf(alice, id);
        Assert.Equal(["CREATE", "RENAME", "DISABLE", "ENABLE", "REVOKE"], entries.Select(e => S(e, "action")));
        Assert.All(entries, e => AssertEntry(e, S(e, "action"), Alice, Alice, "USER", "SUCCESS", token));
        // The name when the action was taken; a rename also says the name asked for, and only a rename does.
        Assert.Equal(["ci", "ci", "ci-renamed", "ci-renamed", "ci-renamed"], entries.Select(e => S(e, "tokenName")));
        Assert.Equal("ci-renamed", S(entries[1], "newTokenName"));
        Assert.All(entries.Where(e => S(e, "action") != "RENAME"), e => Assert.False(e.ContainsKey("newTokenName")));
    }

    [Fact]
    public async Task An_update_asking_for_a_name_and_a_status_writes_an_entry_for_each_and_an_empty_one_none()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        var token = await alice.Create("ci");
        var id = S(token, "id");

        Assert.Equal(200, (await alice.Post($"ApiToken/{id}", new { name = "ci2", status = "DISABLED" })).Status);
        Assert.Equal(200, (await alice.PostRaw($"ApiToken/{id}", "{}")).Status);

        Assert.Equal(["CREATE", "RENAME", "DISABLE"], (await EntriesOf(alice, id)).Select(e => S(e, "action")));
    }

    [Fact]
    public async Task An_administrator_acting_on_another_users_token_writes_ADMINISTRATOR_entries_the_owner_sees()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", Admin, admin: true);
        var alice = server.AddUser("acme", Alice);
        var token = await alice.Create("alices");
        var id = S(token, "id");

        Assert.Equal(200, (await admin.Post($"ApiToken/{id}", new { status = "DISABLED" })).Status);
        Assert.Equal(200, (await admin.Post($"ApiToken/{id}", new { status = "ENABLED" })).Status);
        (await admin.Post($"ApiToken/{id}", new { name = "taken-over" })).AssertError(403, "Forbidden");
        Assert.Equal(204, (await admin.Delete($"ApiToken/{id}")).Status);

        var entries = await EntriesOf(alice, id);
        Assert.Equal(["CREATE", "DISABLE", "ENABLE", "RENAME", "REVOKE"], entries.Select(e => S(e, "action")));
        AssertEntry(entries[0], "CREATE", Alice, Alice, "USER", "SUCCESS", token);
        AssertEntry(entries[1], "DISABLE", Admin, Alice, "ADMINISTRATOR", "SUCCESS", token);
        AssertEntry(entries[2], "ENABLE", Admin, Alice, "ADMINISTRATOR", "SUCCESS", token);
        AssertEntry(entries[3], "RENAME", Admin, Alice, "ADMINISTRATOR", "FORBIDDEN", token);
        Assert.Equal("taken-over", S(entries[3], "newTokenName"));
        Assert.Equal("alices", S(entries[3], "tokenName"));
        AssertEntry(entries[4], "REVOKE", Admin, Alice, "ADMINISTRATOR", "SUCCESS", token);
        // The administrator sees the same entries.
        Assert.Equal(entries.Select(e => S(e, "id")), (await EntriesOf(admin, id)).Select(e => S(e, "id")));
    }

    [Fact]
    public async Task A_refused_rename_is_recorded_with_its_outcome_and_changes_nothing_else()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        await alice.Create("taken");
        var token = await alice.Create("ci");
        var id = S(token, "id");

        (await alice.Post($"ApiToken/{id}", new { name = "TAKEN", status = "DISABLED" })).AssertError(409, "NameConflict");

        Assert.Equal("ENABLED", S((await alice.Get($"ApiToken/{id}")).Object, "status"));
        var entries = await EntriesOf(alice, id);
        Assert.Equal(["CREATE", "RENAME", "DISABLE"], entries.Select(e => S(e, "action")));
        Assert.Equal(["SUCCESS", "NAME_CONFLICT", "NAME_CONFLICT"], entries.Select(e => S(e, "outcome")));
    }

    [Fact]
    public async Task Requests_that_identify_no_token_the_caller_can_see_write_no_entry()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        var bob = server.AddUser("acme", Bob);
        var token = await alice.Create("ci");
        var id = S(token, "id");
        var before = (await Entries(alice)).Count;

        // Bob cannot see alice's token: 404, and an entry would show him what it is.
        (await bob.Post($"ApiToken/{id}", new { status = "DISABLED" })).AssertError(404, "NotFound");
        (await bob.Delete($"ApiToken/{id}")).AssertError(404, "NotFound");
        (await alice.Delete("ApiToken/doesnotexist")).AssertError(404, "NotFound");
        // Refused before any token is touched: a bad name, a create over a conflict.
        (await alice.Post($"ApiToken/{id}", new { name = "" })).AssertError(400, "InvalidRequest");
        (await alice.Post("ApiToken", new { name = "ci" })).AssertError(409, "NameConflict");
        // Reads are not actions.
        Assert.Equal(200, (await alice.Post("ApiToken/bulk", new { type = "GET", request = new[] { new { id } } })).Status);
        Assert.Equal(200, (await alice.Get($"ApiToken/{id}")).Status);

        Assert.Equal(before, (await Entries(alice)).Count);
        Assert.Empty(await Entries(bob));
    }

    [Fact]
    public async Task Each_item_of_a_bulk_revoke_writes_its_own_entry()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", Admin, admin: true);
        var alice = server.AddUser("acme", Alice);
        var tokens = new List<JsonObject>();
        for (var i = 0; i < 4; i++) { tokens.Add(await alice.Create($"bulk-{i}")); }

        // A bulk removal is one DELETE per token (the client's bulk); the last one is already gone.
        foreach (var token in tokens.Take(3)) { Assert.Equal(204, (await admin.Delete($"ApiToken/{S(token, "id")}")).Status); }
        (await admin.Delete($"ApiToken/{S(tokens[0], "id")}")).AssertError(404, "NotFound");

        var revokes = await Entries(admin, And(Simple("EQUALS", "action", "REVOKE"), Simple("EQUALS", "level", "ADMINISTRATOR")));
        Assert.Equal(tokens.Take(3).Select(t => S(t, "id")), revokes.Select(e => S(e, "tokenId")));
        for (var i = 0; i < 3; i++) { AssertEntry(revokes[i], "REVOKE", Admin, Alice, "ADMINISTRATOR", "SUCCESS", tokens[i]); }
    }

    [Fact]
    public async Task Administrators_see_the_account_others_what_they_did_and_what_concerns_their_tokens()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", Admin, admin: true);
        var alice = server.AddUser("acme", Alice);
        var bob = server.AddUser("acme", Bob);
        var other = server.AddUser("other", "eve@other.example", admin: true);
        var alices = S(await alice.Create("alices"), "id");
        var bobs = S(await bob.Create("bobs"), "id");
        var admins = S(await admin.Create("admins"), "id");
        Assert.Equal(200, (await admin.Post($"ApiToken/{bobs}", new { status = "DISABLED" })).Status);
        await other.Create("elsewhere");

        Assert.Equal([alices, bobs, admins, bobs], (await Entries(admin)).Select(e => S(e, "tokenId")));
        Assert.Equal([alices], (await Entries(alice)).Select(e => S(e, "tokenId")));
        Assert.Equal([bobs, bobs], (await Entries(bob)).Select(e => S(e, "tokenId")));
        Assert.Single(await Entries(other));

        var entry = (await Entries(bob))[1];
        Assert.Equal(200, (await bob.Get($"AuditLog/{S(entry, "id")}")).Status);
        Assert.Equal(200, (await admin.Get($"AuditLog/{S(entry, "id")}")).Status);
        (await alice.Get($"AuditLog/{S(entry, "id")}")).AssertError(404, "NotFound");
        (await other.Get($"AuditLog/{S(entry, "id")}")).AssertError(404, "NotFound");
        // A filter narrows what the caller may see, never widens it.
        Assert.Empty(await Entries(alice, Simple("EQUALS", "ownerUserId", Bob)));
    }

    [Fact]
    public async Task Every_query_property_filters()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", Admin, admin: true);
        var alice = server.AddUser("acme", Alice);
        var a = S(await alice.Create("a"), "id");
        var b = S(await alice.Create("b"), "id");
        Assert.Equal(200, (await admin.Post($"ApiToken/{a}", new { status = "DISABLED" })).Status);
        (await admin.Post($"ApiToken/{a}", new { name = "x" })).AssertError(403, "Forbidden");
        Assert.Equal(204, (await alice.Delete($"ApiToken/{b}")).Status);

        async Task<List<string>> Actions(object filter) => (await Entries(admin, filter)).Select(e => S(e, "action")).ToList();
        Assert.Equal(["CREATE", "DISABLE", "RENAME"], await Actions(Simple("EQUALS", "tokenId", a)));
        Assert.Equal(["DISABLE", "RENAME"], await Actions(Simple("EQUALS", "userId", "ADMIN@acme.example")));
        Assert.Equal(["CREATE", "CREATE", "REVOKE"], await Actions(Simple("EQUALS", "level", "user")));
        Assert.Equal(["CREATE", "CREATE", "DISABLE", "RENAME", "REVOKE"], await Actions(Simple("EQUALS", "ownerUserId", Alice)));
        Assert.Equal(["RENAME"], await Actions(Simple("EQUALS", "outcome", "FORBIDDEN")));
        Assert.Equal(["DISABLE", "REVOKE"], await Actions(Or(Simple("EQUALS", "action", "DISABLE"), Simple("EQUALS", "action", "REVOKE"))));
        Assert.Equal(["CREATE", "CREATE"], await Actions(And(Simple("NOT_EQUALS", "action", "DISABLE"), Simple("EQUALS", "level", "USER"), Simple("NOT_EQUALS", "action", "REVOKE"))));
        Assert.Equal(["CREATE", "CREATE", "DISABLE", "RENAME", "REVOKE"], await Actions(Simple("BETWEEN", "date", "2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z")));
        Assert.Empty(await Actions(Simple("LESS_THAN", "date", "2000-01-01T00:00:00Z")));
        Assert.Equal(["CREATE", "CREATE", "DISABLE", "RENAME", "REVOKE"], await Actions(Simple("STARTS_WITH", "userId", "a")));
    }

    [Theory]
    [InlineData("{\"operator\":\"EQUALS\",\"property\":\"token\",\"argument\":[\"x\"]}", "unknown property 'token'")]
    [InlineData("{\"operator\":\"EQUALS\",\"property\":\"status\",\"argument\":[\"ENABLED\"]}", "unknown property 'status'")]
    [InlineData("{\"operator\":\"LIKE\",\"property\":\"action\",\"argument\":[\"C%\"]}", "does not apply to property 'action'")]
    [InlineData("{\"operator\":\"EQUALS\",\"property\":\"action\",\"argument\":[\"DELETE\"]}", "action must be CREATE or RENAME or DISABLE or ENABLE or REVOKE")]
    [InlineData("{\"operator\":\"EQUALS\",\"property\":\"level\",\"argument\":[\"ROOT\"]}", "level must be USER or ADMINISTRATOR")]
    [InlineData("{\"operator\":\"GREATER_THAN\",\"property\":\"date\",\"argument\":[\"2026-08-01\"]}", "is not a date")]
    public async Task A_filter_outside_the_audit_logs_properties_is_a_400_naming_it(string expression, string named)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);

        var answer = await alice.PostRaw("AuditLog/query", "{\"QueryFilter\":{\"expression\":" + expression + "}}");

        answer.AssertError(400, "InvalidRequest");
        Assert.Contains(named, answer.Object["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Paging_over_250_entries_returns_each_once_in_the_order_written_100_a_page()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        for (var i = 0; i < 250; i++) { server.Store.Create("acme", Alice, $"t{i:D3}", int.MaxValue, DateTimeOffset.UtcNow); }

        var first = await alice.Query(null, "AuditLog");
        Assert.Equal(250, first.Object["numberOfResults"]!.GetValue<long>());
        Assert.Equal(100, first.Object["result"]!.AsArray().Count);
        var second = await alice.PostRaw("AuditLog/queryMore", S(first.Object, "queryToken"), "text/plain");
        Assert.Equal(250, second.Object["numberOfResults"]!.GetValue<long>());
        Assert.Equal(100, second.Object["result"]!.AsArray().Count);
        var third = await alice.PostRaw("AuditLog/queryMore", S(second.Object, "queryToken"), "text/plain");
        Assert.Equal(50, third.Object["result"]!.AsArray().Count);
        Assert.Null(third.Object["queryToken"]);

        var all = await Entries(alice);
        Assert.Equal(Enumerable.Range(0, 250).Select(i => $"t{i:D3}"), all.Select(e => S(e, "tokenName")));
        Assert.Equal(250, all.Select(e => S(e, "id")).Distinct().Count());
    }

    [Fact]
    public async Task A_query_token_is_bound_to_the_object_type_it_pages()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        for (var i = 0; i < 101; i++) { server.Store.Create("acme", Alice, $"t{i:D3}", int.MaxValue, DateTimeOffset.UtcNow); }

        var tokens = S((await alice.Query(null)).Object, "queryToken");
        var entries = S((await alice.Query(null, "AuditLog")).Object, "queryToken");

        (await alice.PostRaw("AuditLog/queryMore", tokens, "text/plain")).AssertError(400, "InvalidRequest");
        (await alice.PostRaw("ApiToken/queryMore", entries, "text/plain")).AssertError(400, "InvalidRequest");
        Assert.Equal(200, (await alice.PostRaw("AuditLog/queryMore", entries, "text/plain")).Status);
    }

    [Theory]
    [InlineData("PUT", "AuditLog/{id}", "GET")]
    [InlineData("PATCH", "AuditLog/{id}", "GET")]
    [InlineData("POST", "AuditLog/{id}", "GET")]
    [InlineData("DELETE", "AuditLog/{id}", "GET")]
    [InlineData("PUT", "AuditLog/query", null)]
    [InlineData("GET", "AuditLog/queryMore", null)]
    public async Task No_method_changes_an_entry(string method, string path, string? allow)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        await alice.Create("ci");
        var before = (await Entries(alice)).Single();

        var answer = await alice.Send(method, path.Replace("{id}", S(before, "id")), "{\"outcome\":\"FORBIDDEN\"}");

        if (allow is not null)
        {
            answer.AssertError(405, "MethodNotAllowed");
            Assert.Equal(allow, answer.Header("Allow"));
        }
        else
        {
            Assert.True(answer.Status is 404 or 405, answer.Text);
        }
        Assert.Equal(before.ToJsonString(), (await Entries(alice)).Single().ToJsonString());
    }

    [Fact]
    public async Task The_store_refuses_to_change_or_delete_an_entry()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        await alice.Create("ci");

        using var connection = new SqliteConnection($"Data Source={server.Options.DatabasePath}");
        connection.Open();
        foreach (var sql in new[] { "UPDATE audit_log SET outcome = 'FORBIDDEN'", "DELETE FROM audit_log" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            var refused = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
            Assert.Contains("append-only", refused.Message);
        }
        Assert.Equal("SUCCESS", S((await Entries(alice)).Single(), "outcome"));
    }

    [Fact]
    public void Entries_keyed_by_an_older_rule_are_rekeyed_at_start_and_stay_append_only()
    {
        var directory = Path.Combine(Path.GetTempPath(), "tm-audit-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "tokens.db");
        try
        {
            var store = new TokenStore(path);
            store.Initialize();
            store.EnsureUser("acme", "stra\u00DFe@acme.example", isAdmin: false, apiAccess: true);
            store.Create("acme", "stra\u00DFe@acme.example", "ci", 5, DateTimeOffset.UtcNow);
            using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                // As an older server's lowercasing would have keyed the entry, and no rule recorded.
                command.CommandText = "DROP TRIGGER audit_log_no_update; "
                    + "UPDATE audit_log SET actor_key = 'stra\u00DFe@acme.example', owner_key = 'stra\u00DFe@acme.example'; "
                    + "DELETE FROM meta WHERE key = 'key-rule';";
                command.ExecuteNonQuery();
            }

            store.Initialize();

            var caller = new Caller("acme", "STRASSE@acme.example", false, true, "");
            var filter = QueryFilterTranslator.ToSql(new FilterNode { Property = "userId", Operator = "EQUALS", Arguments = ["strasse@ACME.example"] }, QuerySchema.AuditLog);
            Assert.Single(store.AuditFirstPage(caller, filter, 100).Rows);
            using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "UPDATE audit_log SET outcome = 'FORBIDDEN'";
                Assert.Contains("append-only", Assert.Throws<SqliteException>(() => command.ExecuteNonQuery()).Message);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task An_action_whose_entry_cannot_be_written_does_not_happen()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", Alice);
        var id = S(await alice.Create("ci"), "id");
        using (var connection = new SqliteConnection($"Data Source={server.Options.DatabasePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // Every insert into the log now fails: the action it records must fail with it.
            command.CommandText = "CREATE TRIGGER audit_log_broken BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'broken'); END;";
            command.ExecuteNonQuery();
        }

        (await alice.Delete($"ApiToken/{id}")).AssertError(500, "InternalError");
        (await alice.Post($"ApiToken/{id}", new { status = "DISABLED" })).AssertError(500, "InternalError");
        (await alice.Post("ApiToken", new { name = "second" })).AssertError(500, "InternalError");

        var tokens = await alice.QueryAll(null);
        Assert.Contains(tokens, t => S(t, "id") == id && S(t, "status") == "ENABLED");
        Assert.DoesNotContain(tokens, t => S(t, "name") == "second");
    }

    [Fact]
    public async Task No_token_value_is_in_any_entry_answer_or_in_the_database_file()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", Admin, admin: true);
        var alice = server.AddUser("acme", Alice);
        var values = new List<string> { admin.Token, alice.Token };
        for (var i = 0; i < 3; i++)
        {
            var created = await alice.Create($"t{i}");
            values.Add(S(created, "token"));
            var id = S(created, "id");
            await alice.Post($"ApiToken/{id}", new { name = $"r{i}" });
            await admin.Post($"ApiToken/{id}", new { status = "DISABLED" });
            await admin.Post($"ApiToken/{id}", new { name = "no" });
            if (i > 0) { await admin.Delete($"ApiToken/{id}"); }
        }

        var answers = new List<string>();
        foreach (var caller in new[] { admin, alice })
        {
            var page = await caller.Query(null, "AuditLog");
            answers.Add(page.Text);
            foreach (var entry in page.Object["result"]!.AsArray())
            {
                answers.Add((await caller.Get($"AuditLog/{S(entry!.AsObject(), "id")}")).Text);
            }
        }
        Assert.Equal(14, JsonNode.Parse(answers[0])!["numberOfResults"]!.GetValue<long>());

        SqliteConnection.ClearAllPools();
        var files = new[] { "", "-wal", "-shm" }.Select(s => server.Options.DatabasePath + s).Where(File.Exists).Select(File.ReadAllBytes).ToList();
        foreach (var value in values)
        {
            var hash = Secrets.Hash(value);
            foreach (var text in answers)
            {
                Assert.DoesNotContain(value, text);
                Assert.DoesNotContain(value.Replace("-", ""), text);
                Assert.DoesNotContain(Convert.ToBase64String(hash), text);
                Assert.DoesNotContain(Convert.ToHexString(hash), text, StringComparison.OrdinalIgnoreCase);
            }
            foreach (var bytes in files)
            {
                Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)));
                Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(value)));
            }
        }
        // The prefix is no secret, and the entries carry it.
        Assert.Contains(values[2][..6], answers[0]);
    }
}
