using static TokenManagement.Server.Tests.Filters;

namespace TokenManagement.Server.Tests;

/// <summary>
/// A value that exists (disabled, or another user's) must cost what a value that never existed costs, or timing
/// tells an attacker which values are real. Measuring that would be a timed test; instead these pin the structure
/// that makes it so: one statement, index-only reads, one row whatever the value.
/// </summary>
public sealed class LookupWorkTests
{
    [Fact]
    public async Task The_credential_lookup_reads_only_covering_indexes()
    {
        await using var server = await TestServer.StartAsync();
        var plan = server.Store.ExplainCredentialLookup();
        Assert.Contains(plan, step => step.Contains("USING COVERING INDEX ix_tokens_credential"));
        Assert.Contains(plan, step => step.Contains("USING COVERING INDEX ix_users_credential"));
        Assert.DoesNotContain(plan, step => step.Contains("SCAN t") || step.Contains("SCAN u") || step.Contains("PRIMARY KEY"));
    }

    [Fact]
    public async Task Unknown_disabled_and_other_users_values_all_read_exactly_one_row()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var bob = server.AddUser("acme", "bob@acme.example");
        var disabled = await alice.Create("disabled");
        await alice.Post($"ApiToken/{disabled["id"]}", new { status = "DISABLED" });

        var cases = new (string User, string Value, bool Exists)[]
        {
            ("alice@acme.example", Guid.NewGuid().ToString(), false),
            ("alice@acme.example", disabled["token"]!.GetValue<string>(), true),
            ("alice@acme.example", bob.Token, true),
        };
        foreach (var (user, value, exists) in cases)
        {
            var row = server.Store.ReadCredential(Secrets.Hash(value), TokenManagement.Server.Names.Key(user));
            Assert.Equal(exists, row.Exists);
            Assert.Null(server.Store.Authenticate(user, value, DateTimeOffset.UtcNow));
        }
        Assert.NotNull(server.Store.Authenticate("alice@acme.example", alice.Token, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_leaked_value_search_finds_the_value_through_the_covering_index_only()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var caller = server.Store.Authenticate(alice.User, alice.Token, DateTimeOffset.UtcNow)!;
        var filter = QueryFilterTranslator.ToSql(QueryFilterTranslator.Parse(System.Text.Json.JsonDocument.Parse(
            "{\"QueryFilter\":{\"expression\":{\"operator\":\"EQUALS\",\"property\":\"token\",\"argument\":[\"" + Guid.NewGuid() + "\"]}}}").RootElement));

        var plan = server.Store.ExplainFirstPage(caller, filter);

        Assert.Contains(plan, step => step.Contains("USING COVERING INDEX ix_tokens_credential"));
        Assert.Single(await alice.QueryAll(Simple("EQUALS", "token", alice.Token)));
        Assert.Empty(await server.AddUser("acme", "bob@acme.example").QueryAll(Simple("EQUALS", "token", alice.Token)));
    }
}
