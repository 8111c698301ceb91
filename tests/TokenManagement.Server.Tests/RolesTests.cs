namespace TokenManagement.Server.Tests;

/// <summary>Who sees what: users see their own tokens; Account Administration sees and disables/enables/revokes all.</summary>
public sealed class RolesTests
{
    [Fact]
    public async Task The_account_check_says_which_privileges_the_caller_has()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        var alice = server.AddUser("acme", "alice@acme.example");

        string[] Privileges(System.Text.Json.Nodes.JsonObject account) =>
            account["callerPrivileges"]!.AsArray().Select(p => p!.GetValue<string>()).ToArray();
        Assert.Equal(["API_ACCESS", "ACCOUNT_ADMINISTRATION"], Privileges((await admin.Get("Account/acme")).Object));
        Assert.Equal(["API_ACCESS"], Privileges((await alice.Get("Account/acme")).Object));
    }

    [Fact]
    public async Task Another_users_token_is_404_exactly_like_a_missing_one()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var bob = server.AddUser("acme", "bob@acme.example");
        var id = (await alice.Create("mine"))["id"]!.GetValue<string>();

        var other = await bob.Get($"ApiToken/{id}");
        var missing = await bob.Get("ApiToken/doesnotexist");
        other.AssertError(404, "NotFound");
        missing.AssertError(404, "NotFound");
        (await bob.Post($"ApiToken/{id}", new { status = "DISABLED" })).AssertError(404, "NotFound");
        (await bob.Delete($"ApiToken/{id}")).AssertError(404, "NotFound");
        Assert.Equal("ENABLED", (await alice.Get($"ApiToken/{id}")).Object["status"]!.GetValue<string>());
        Assert.All(await bob.QueryAll(null), t => Assert.Equal("bob@acme.example", t["userId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_administrator_sees_disables_enables_and_revokes_every_token_of_the_account()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("alices"))["id"]!.GetValue<string>();

        Assert.Equal(200, (await admin.Get($"ApiToken/{id}")).Status);
        Assert.Contains(await admin.QueryAll(null), t => t["id"]!.GetValue<string>() == id);
        Assert.Equal("DISABLED", (await admin.Post($"ApiToken/{id}", new { status = "DISABLED" })).Object["status"]!.GetValue<string>());
        Assert.Equal("ENABLED", (await admin.Post($"ApiToken/{id}", new { status = "ENABLED" })).Object["status"]!.GetValue<string>());
        Assert.Equal(204, (await admin.Delete($"ApiToken/{id}")).Status);
        (await alice.Get($"ApiToken/{id}")).AssertError(404, "NotFound");
    }

    [Fact]
    public async Task Renaming_stays_with_the_owner()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        var alice = server.AddUser("acme", "alice@acme.example");
        var id = (await alice.Create("alices"))["id"]!.GetValue<string>();

        (await admin.Post($"ApiToken/{id}", new { name = "taken-over" })).AssertError(403, "Forbidden");
        Assert.Equal("alices", (await alice.Get($"ApiToken/{id}")).Object["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_always_creates_for_the_caller()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        var created = await admin.Post("ApiToken", new { name = "x", userId = "alice@acme.example" });
        Assert.Equal("admin@acme.example", created.Object["userId"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_administrator_sees_nothing_of_another_account()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.AddUser("acme", "admin@acme.example", admin: true);
        var other = server.AddUser("globex", "hank@globex.example");
        var id = (await other.Create("globex-token"))["id"]!.GetValue<string>();

        (await admin.Get($"ApiToken/{id}")).AssertError(404, "NotFound");
        Assert.DoesNotContain(await admin.QueryAll(null), t => t["id"]!.GetValue<string>() == id);
    }
}
