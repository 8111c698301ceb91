using System.Net.Http.Headers;
using System.Text;

namespace TokenManagement.Server.Tests;

public sealed class AuthenticationTests
{
    [Fact]
    public async Task Every_credential_failure_answers_the_same_401()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var bob = server.AddUser("acme", "bob@acme.example");

        var answers = new[]
        {
            await server.ClientFor("acme", "nobody@acme.example", alice.Token).Get("Account/acme"),
            await server.ClientFor("acme", "alice@acme.example", Guid.NewGuid().ToString()).Get("Account/acme"),
            await server.ClientFor("acme", "alice@acme.example", bob.Token).Get("Account/acme"),
            await Send(server, null),
            await Send(server, "Bearer " + alice.Token),
            await Send(server, "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice@acme.example:{alice.Token}"))),
            await Send(server, "Basic not-base64!"),
        };

        foreach (var answer in answers) { answer.AssertError(401, "Unauthorized"); }
        Assert.Single(answers.Select(a => a.Text).Distinct());
        Assert.All(answers, a => Assert.DoesNotContain(alice.Token, a.Text));
    }

    [Fact]
    public async Task The_user_id_compares_case_insensitively()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        Assert.Equal(200, (await server.ClientFor("acme", "Alice@ACME.example", alice.Token).Get("Account/acme")).Status);
    }

    [Fact]
    public async Task A_user_without_API_Access_gets_403()
    {
        await using var server = await TestServer.StartAsync();
        var carol = server.AddUser("acme", "carol@acme.example", apiAccess: false);
        (await carol.Get("Account/acme")).AssertError(403, "Forbidden");
        (await carol.Query(null)).AssertError(403, "Forbidden");
        (await carol.Post("ApiToken", new { name = "x" })).AssertError(403, "Forbidden");
    }

    [Fact]
    public async Task Addressing_another_account_gets_403()
    {
        await using var server = await TestServer.StartAsync();
        server.AddUser("globex", "hank@globex.example");
        var alice = server.AddUser("acme", "alice@acme.example");

        (await server.ClientFor("globex", "alice@acme.example", alice.Token).Get("Account/globex")).AssertError(403, "Forbidden");
        (await server.ClientFor("globex", "alice@acme.example", alice.Token).Query(null)).AssertError(403, "Forbidden");
        (await alice.Get("Account/globex")).AssertError(403, "Forbidden");
    }

    [Fact]
    public async Task The_account_check_answers_the_account()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var answer = await alice.Get("Account/acme");
        Assert.Equal(200, answer.Status);
        Assert.Equal("Account", answer.Object["@type"]!.GetValue<string>());
        Assert.Equal("acme", answer.Object["accountId"]!.GetValue<string>());
        Assert.Equal("active", answer.Object["status"]!.GetValue<string>());
        Assert.NotNull(answer.Object["name"]);
    }

    private static async Task<Answer> Send(TestServer server, string? authorization)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Root, "/api/rest/v1/acme/Account/acme"));
        if (authorization is not null) { request.Headers.TryAddWithoutValidation("Authorization", authorization); }
        using var response = await http.SendAsync(request);
        return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers);
    }
}
