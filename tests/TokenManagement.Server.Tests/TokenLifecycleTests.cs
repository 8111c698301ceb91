using System.Text.RegularExpressions;

namespace TokenManagement.Server.Tests;

public sealed class TokenLifecycleTests
{
    [Fact]
    public async Task Create_returns_the_value_once_and_the_value_authenticates()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");

        var created = await alice.Create("ci-pipeline");

        var value = created["token"]!.GetValue<string>();
        Assert.Matches(new Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"), value);
        Assert.Equal("ApiToken", created["@type"]!.GetValue<string>());
        Assert.Equal(value[..6], created["tokenPrefix"]!.GetValue<string>());
        Assert.Equal("ENABLED", created["status"]!.GetValue<string>());
        Assert.Equal("alice@acme.example", created["userId"]!.GetValue<string>());
        Assert.Equal("acme", created["accountId"]!.GetValue<string>());
        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"), created["createdDate"]!.GetValue<string>());
        Assert.Null(created["lastUsedDate"]);

        var read = await alice.Get($"ApiToken/{created["id"]}");
        Assert.Equal(200, read.Status);
        Assert.Null(read.Object["token"]);

        var withNewToken = server.ClientFor("acme", "alice@acme.example", value);
        Assert.Equal(200, (await withNewToken.Get("Account/acme")).Status);
    }

    [Fact]
    public async Task Names_are_unique_per_user_case_insensitively_but_not_across_users()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var bob = server.AddUser("acme", "bob@acme.example");
        await alice.Create("deploy");

        (await alice.Post("ApiToken", new { name = "DEPLOY" })).AssertError(409, "NameConflict");
        Assert.Equal(200, (await bob.Post("ApiToken", new { name = "deploy" })).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    [InlineData("x101")]
    public async Task Bad_names_answer_400_and_create_nothing(string name)
    {
        if (name == "x101") { name = new string('x', 101); }
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");

        (await alice.Post("ApiToken", new { name })).AssertError(400, "InvalidRequest");

        Assert.Single(await alice.QueryAll(null));
    }

    [Fact]
    public async Task A_name_of_100_characters_is_accepted()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var created = await alice.Create(new string('n', 100));
        Assert.Equal(100, created["name"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task A_user_holds_at_most_the_configured_number_of_tokens()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxTokensPerUser = 3);
        var alice = server.AddUser("acme", "alice@acme.example");
        await alice.Create("two");
        await alice.Create("three");

        (await alice.Post("ApiToken", new { name = "four" })).AssertError(409, "TokenLimitReached");
        Assert.Equal(3, (await alice.QueryAll(null)).Count);
    }

    [Fact]
    public async Task The_default_limit_is_five()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        for (var i = 2; i <= 5; i++) { await alice.Create($"t{i}"); }
        (await alice.Post("ApiToken", new { name = "t6" })).AssertError(409, "TokenLimitReached");
    }

    [Fact]
    public async Task Rename_and_status_changes_answer_the_updated_token()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("old"))["id"]!.GetValue<string>();

        var renamed = await alice.Post($"ApiToken/{id}", new { name = "new" });
        Assert.Equal(200, renamed.Status);
        Assert.Equal("new", renamed.Object["name"]!.GetValue<string>());

        var disabled = await alice.Post($"ApiToken/{id}", new { status = "DISABLED" });
        Assert.Equal("DISABLED", disabled.Object["status"]!.GetValue<string>());
        Assert.Equal("new", disabled.Object["name"]!.GetValue<string>());

        var both = await alice.Post($"ApiToken/{id}", new { name = "newer", status = "ENABLED", unknownProperty = 1 });
        Assert.Equal("newer", both.Object["name"]!.GetValue<string>());
        Assert.Equal("ENABLED", both.Object["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rename_to_a_name_the_user_already_has_is_a_conflict_and_changes_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("one"))["id"]!.GetValue<string>();
        await alice.Create("two");

        (await alice.Post($"ApiToken/{id}", new { name = "TWO" })).AssertError(409, "NameConflict");
        Assert.Equal("one", (await alice.Get($"ApiToken/{id}")).Object["name"]!.GetValue<string>());
        Assert.Equal(200, (await alice.Post($"ApiToken/{id}", new { name = "ONE" })).Status);
    }

    [Fact]
    public async Task Update_rejects_a_bad_status_or_name()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("one"))["id"]!.GetValue<string>();

        (await alice.Post($"ApiToken/{id}", new { status = "PAUSED" })).AssertError(400, "InvalidRequest");
        (await alice.Post($"ApiToken/{id}", new { name = new string('y', 101) })).AssertError(400, "InvalidRequest");
        (await alice.Post($"ApiToken/{id}", new { name = 5 })).AssertError(400, "InvalidRequest");
        var token = await alice.Get($"ApiToken/{id}");
        Assert.Equal("one", token.Object["name"]!.GetValue<string>());
        Assert.Equal("ENABLED", token.Object["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_disabled_token_cannot_authenticate_until_enabled_again()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var created = await alice.Create("ci");
        var ci = server.ClientFor("acme", "alice@acme.example", created["token"]!.GetValue<string>());
        var id = created["id"]!.GetValue<string>();

        await alice.Post($"ApiToken/{id}", new { status = "DISABLED" });
        (await ci.Get("Account/acme")).AssertError(401, "Unauthorized");

        await alice.Post($"ApiToken/{id}", new { status = "ENABLED" });
        Assert.Equal(200, (await ci.Get("Account/acme")).Status);
    }

    [Fact]
    public async Task Revoke_deletes_the_token_for_good()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var created = await alice.Create("ci");
        var id = created["id"]!.GetValue<string>();

        var revoked = await alice.Delete($"ApiToken/{id}");
        Assert.Equal(204, revoked.Status);
        Assert.Equal("", revoked.Text);

        (await alice.Get($"ApiToken/{id}")).AssertError(404, "NotFound");
        (await alice.Delete($"ApiToken/{id}")).AssertError(404, "NotFound");
        (await server.ClientFor("acme", "alice@acme.example", created["token"]!.GetValue<string>()).Get("Account/acme")).AssertError(401, "Unauthorized");
        Assert.DoesNotContain(await alice.QueryAll(null), t => t["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task A_revoked_name_can_be_used_again()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("ci"))["id"]!.GetValue<string>();
        await alice.Delete($"ApiToken/{id}");
        Assert.Equal("ci", (await alice.Create("ci"))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Using_a_token_records_its_last_used_date()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var created = await alice.Create("ci");
        Assert.Null(created["lastUsedDate"]);

        await server.ClientFor("acme", "alice@acme.example", created["token"]!.GetValue<string>()).Get("Account/acme");

        var read = await alice.Get($"ApiToken/{created["id"]}");
        var lastUsed = DateTimeOffset.Parse(read.Object["lastUsedDate"]!.GetValue<string>());
        Assert.InRange(lastUsed, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }
}
