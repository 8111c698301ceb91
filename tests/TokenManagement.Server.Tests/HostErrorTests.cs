using System.Text.Json.Nodes;

namespace TokenManagement.Server.Tests;

/// <summary>Errors the host raises before the API's own code runs: they answer the contract's JSON error body too.</summary>
public sealed class HostErrorTests
{
    private static void AssertJsonError(RawHttp.Response answer, int status, string code)
    {
        Assert.True(answer.Status == status, $"expected {status}, got {answer.Status}: {answer.Body}");
        Assert.StartsWith("application/json", answer.Header("Content-Type"));
        var body = JsonNode.Parse(answer.Body)!.AsObject();
        Assert.Equal("Error", body["@type"]!.GetValue<string>());
        Assert.Equal(code, body["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["message"]!.GetValue<string>()));
        Assert.Matches("^[0-9a-f]{16}$", answer.Header("X-Request-Id"));
    }

    [Theory]
    [InlineData("PUT", "ApiToken/x", "GET, POST, DELETE")]
    [InlineData("PATCH", "ApiToken/x", "GET, POST, DELETE")]
    [InlineData("PUT", "ApiToken", "POST")]
    [InlineData("GET", "ApiToken/bulk/x", null)]
    [InlineData("DELETE", "Account/acme", "GET")]
    public async Task Methods_the_contract_does_not_list_answer_405_with_Allow(string method, string path, string? allow)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");

        var answer = await alice.Send(method, path, "{}");

        if (allow is null)
        {
            answer.AssertError(404, "NotFound");
            return;
        }
        answer.AssertError(405, "MethodNotAllowed");
        Assert.Equal(allow.Split(", ").Order(), answer.Header("Allow")!.Split(", ").Order());
        Assert.Contains(method, answer.Object["message"]!.GetValue<string>());
    }

    public static TheoryData<string, string, int, string> Rejected() => new()
    {
        { "a 20,000-character id: the request line is past 8 KiB", "GET /api/rest/v1/acme/ApiToken/" + new string('i', 20_000) + " HTTP/1.1\r\nHost: h\r\n{auth}\r\n", 414, "request line" },
        { "40,000 bytes of headers", "GET /api/rest/v1/acme/Account/acme HTTP/1.1\r\nHost: h\r\n{auth}X-Padding: " + new string('p', 40_000) + "\r\n\r\n", 431, "headers" },
        { "%00 in the path", "GET /api/rest/v1/acme/ApiToken/a%00b HTTP/1.1\r\nHost: h\r\n{auth}\r\n", 400, "request target" },
        { "a negative Content-Length", "POST /api/rest/v1/acme/ApiToken HTTP/1.1\r\nHost: h\r\n{auth}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n", 400, "content length" },
        { "two Content-Lengths that disagree", "POST /api/rest/v1/acme/ApiToken HTTP/1.1\r\nHost: h\r\n{auth}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "HTTP/1.1" },
        { "no Host header", "GET /api/rest/v1/acme/Account/acme HTTP/1.1\r\n{auth}\r\n", 400, "Host" },
        { "an unknown HTTP version", "GET /api/rest/v1/acme/Account/acme HTTP/3.7\r\nHost: h\r\n{auth}\r\n", 400, "version" },
        { "a header line without a colon", "GET /api/rest/v1/acme/Account/acme HTTP/1.1\r\nHost: h\r\nAuthorization Basic c2VjcmV0\r\n\r\n", 400, "header" },
        { "a chunk size that is not hex", "POST /api/rest/v1/acme/ApiToken HTTP/1.1\r\nHost: h\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400, "request" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Requests_the_host_rejects_still_get_the_JSON_error_body(string what, string request, int status, string named)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");

        var answers = await RawHttp.SendAsync(server.Root, request.Replace("{auth}", RawHttp.BasicAuthorization(alice)));

        var answer = Assert.Single(answers);
        AssertJsonError(answer, status, "InvalidRequest");
        var message = JsonNode.Parse(answer.Body)!["message"]!.GetValue<string>();
        Assert.True(message.Contains(named, StringComparison.OrdinalIgnoreCase), $"{what}: '{message}' does not name '{named}'");
        Assert.DoesNotContain("iiiiiiiiii", message);
        Assert.DoesNotContain("c2VjcmV0", message);
        Assert.Single(await alice.QueryAll(null));
    }

    /// <summary>Found by the fuzz suite (seed 20261202): these framings surfaced as a plain IOException and answered 500.</summary>
    [Theory]
    [InlineData("HTTP/1.0", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "zz\r\n{}")]
    [InlineData("HTTP/1.1", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "zz\r\n{}")]
    [InlineData("HTTP/1.0", "Transfer-Encoding: chunked\r\n", "ffffffffffffffff\r\n{}")]
    public async Task Broken_chunked_framing_is_a_400_whatever_exception_carries_it(string version, string headers, string body)
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var request = $"POST /api/rest/v1/acme/ApiToken/{alice.TokenId} {version}\r\nHost: h\r\n{RawHttp.BasicAuthorization(alice)}Content-Type: application/json\r\n{headers}\r\n{body}";

        var answers = await RawHttp.SendAsync(server.Root, System.Text.Encoding.Latin1.GetBytes(request));

        AssertJsonError(Assert.Single(answers), 400, "InvalidRequest");
    }

    [Fact]
    public async Task A_rejected_request_after_a_good_one_on_the_same_connection_gets_its_own_JSON_answer()
    {
        await using var server = await TestServer.StartAsync();
        var alice = server.AddUser("acme", "alice@acme.example");
        var auth = RawHttp.BasicAuthorization(alice);

        var answers = await RawHttp.SendAsync(server.Root,
            $"GET /api/rest/v1/acme/Account/acme HTTP/1.1\r\nHost: h\r\n{auth}\r\nGET /api/rest/v1/acme/ApiToken/%00 HTTP/1.1\r\nHost: h\r\n{auth}\r\n");

        Assert.Equal(2, answers.Count);
        Assert.Equal(200, answers[0].Status);
        Assert.Equal("Account", JsonNode.Parse(answers[0].Body)!["@type"]!.GetValue<string>());
        AssertJsonError(answers[1], 400, "InvalidRequest");
    }

    [Fact]
    public async Task The_log_has_a_line_for_a_rejected_request_with_its_request_id()
    {
        await using var server = await TestServer.StartAsync();
        var answer = (await RawHttp.SendAsync(server.Root, "GET /" + new string('x', 10_000) + " HTTP/1.1\r\nHost: h\r\n\r\n")).Single();
        await server.DisposeAsync();
        Assert.Contains($" - - 414 0.0ms account=- user=- request={answer.Header("X-Request-Id")} rejected=", server.Log);
        Assert.DoesNotContain("xxxxxxxxxx", server.Log);
    }
}
