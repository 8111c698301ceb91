using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace TokenManagement.Server.Tests;

/// <summary>
/// Replays every golden example of tests/contract against the real server, after setting up the situation it
/// describes, and checks the answer has the example's status, headers and shape (property names and kinds; the
/// fixed values @type, code, status and statusCode exactly).
/// </summary>
public sealed class ContractTests
{
    private const string Account = "acme-A1B2C3";
    private const string Alice = "alice@acme.example";
    private const string Admin = "admin@acme.example";

    /// <summary>Ids the examples use for alice's tokens 'ci-pipeline' and 'terraform'; other ids stay unknown.</summary>
    private const string CiPipelineId = "7b2f4c1e9a5d4e03";
    private const string TerraformId = "3c59dc048e885024";

    /// <summary>The id auditlog-read reads: the administrator's disable of 'ci-pipeline'.</summary>
    private const string DisableEntryId = "h6p3v9k2q8x4m7n5r3zf";

    /// <summary>Properties the contract allows to be absent.</summary>
    private static readonly HashSet<string> Optional = ["lastUsedDate", "queryToken", "Result", "errorMessage", "newTokenName"];

    private static readonly string ContractDirectory = Path.Combine(AppContext.BaseDirectory, "contract");

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(ContractDirectory, "*.json").Order(StringComparer.Ordinal)) { data.Add(Path.GetFileNameWithoutExtension(file)); }
        return data;
    }

    [Fact]
    public void Every_operation_and_error_code_has_an_example()
    {
        var names = Directory.GetFiles(ContractDirectory, "*.json").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        string[] required =
        [
            "create", "read", "update-rename", "update-status", "revoke", "query-all", "query-filter", "query-more", "bulk", "account",
            "error-400-InvalidRequest", "error-401-Unauthorized", "error-403-Forbidden", "error-404-NotFound", "error-409-NameConflict",
            "error-409-TokenLimitReached", "error-503-RateLimited", "error-503-Unavailable", "error-500-InternalError",
            "name-nfc-stored", "name-equals-folded", "name-like-full-folding", "name-rename-same-key",
            "auditlog-query", "auditlog-query-more", "auditlog-read",
        ];
        Assert.Equal([], required.Where(r => !names.Contains(r)).ToArray());
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task The_server_answers_the_golden_example(string example)
    {
        var golden = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ContractDirectory, example + ".json")))!;
        await using var server = await TestServer.StartAsync(o =>
        {
            o.RateLimit = example == "error-503-RateLimited" ? 1 : 0;
            o.FaultRate = example == "error-503-Unavailable" ? 1 : 0;
        });
        var now = DateTimeOffset.UtcNow;
        var alice = server.AddUser(Account, Alice);
        var admin = server.AddUser(Account, Admin, admin: true);
        var ids = new Dictionary<string, string>();
        if (example != "create") { ids[CiPipelineId] = server.Store.Create(Account, Alice, "ci-pipeline", 5, now).Token.Id; }
        ids[TerraformId] = server.Store.Create(Account, Alice, "terraform", 5, now).Token.Id;
        var caller = alice;

        var request = golden["request"]!;
        var path = request["path"]!.GetValue<string>().Replace("{accountId}", Account);
        foreach (var (goldenId, realId) in ids) { path = path.Replace(goldenId, realId); }
        var body = request["body"] is { } b ? b.ToJsonString() : null;
        if (body is not null) { foreach (var (goldenId, realId) in ids) { body = body.Replace(goldenId, realId); } }

        switch (example)
        {
            case "error-401-Unauthorized":
                caller = server.ClientFor(Account, Alice, Guid.NewGuid().ToString());
                break;
            case "error-403-Forbidden":
                caller = admin;
                break;
            case "error-409-TokenLimitReached":
                server.Store.Create(Account, Alice, "four", 5, now);
                server.Store.Create(Account, Alice, "five", 5, now);
                break;
            case "query-more":
                caller = admin;
                server.Store.Seed(Account, users: 30, tokensPerUser: 5, now);
                var first = await admin.PostRaw("ApiToken/query", "{}");
                body = first.Object["queryToken"]!.GetValue<string>();
                break;
            case "error-500-InternalError":
                BreakTheDatabase(server.Options.DatabasePath);
                break;
            case "auditlog-query" or "auditlog-read":
                // The trail the examples show: alice renames ci-pipeline, an administrator disables it and may not rename it.
                var aliceCaller = server.Store.Authenticate(Alice, alice.Token, now)!;
                var adminCaller = server.Store.Authenticate(Admin, admin.Token, now)!;
                server.Store.Update(aliceCaller, ids[CiPipelineId], "ci-deploy", null, now);
                server.Store.Update(adminCaller, ids[CiPipelineId], null, TokenStatus.Disabled, now);
                Assert.Throws<ApiError>(() => server.Store.Update(adminCaller, ids[CiPipelineId], "revoked-by-admin", null, now));
                path = path.Replace(DisableEntryId, server.Store.AuditFirstPage(adminCaller, SqlFilter.All, 100).Rows.Single(e => e.Action == AuditValues.Disable).Id);
                caller = example == "auditlog-read" ? admin : alice;
                break;
            case "auditlog-query-more":
                caller = admin;
                for (var i = 0; i < 100; i++) { server.Store.Create(Account, Alice, $"t{i}", int.MaxValue, now); }
                body = (await admin.PostRaw("AuditLog/query", "{}")).Object["queryToken"]!.GetValue<string>();
                break;
            case "name-like-full-folding":
                server.Store.Create(Account, Alice, "Stra\u00DFe-Deploy", 5, now);
                break;
        }

        var contentType = request["contentType"]?.GetValue<string>() ?? "application/json";
        if (contentType == "text/plain" && body is not null && body.StartsWith('"')) { body = JsonSerializer.Deserialize<string>(body); }
        var answer = await Send(caller, request["method"]!.GetValue<string>(), path, body, contentType);
        for (var i = 0; example == "error-503-RateLimited" && answer.Status != 503 && i < 50; i++)
        {
            answer = await Send(caller, request["method"]!.GetValue<string>(), path, body, contentType);
        }

        var response = golden["response"]!;
        Assert.True(response["status"]!.GetValue<int>() == answer.Status, $"{example}: expected {response["status"]}, got {answer.Status}: {answer.Text}");
        foreach (var (name, value) in response["headers"]?.AsObject() ?? [])
        {
            Assert.True(answer.Headers.TryGetValues(name, out var values), $"{example}: header {name} missing");
            Assert.Equal(value!.GetValue<string>(), values.Single());
        }
        if (response["body"] is not { } expected)
        {
            Assert.Equal("", answer.Text);
            return;
        }
        AssertSameShape(expected, JsonNode.Parse(answer.Text)!, example, exact: example.StartsWith("name-", StringComparison.Ordinal) ? NamePolicyExact : []);
    }

    /// <summary>
    /// The names-policy examples show what the rule does to names, so their names and counts are exact (elsewhere a
    /// name in a page of results is only an example).
    /// </summary>
    private static readonly HashSet<string> NamePolicyExact = ["name", "numberOfResults"];

    private static async Task<Answer> Send(ApiClient caller, string method, string path, string? body, string contentType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/'));
        if (body is not null) { request.Content = new StringContent(body, Encoding.UTF8, contentType); }
        using var response = await caller.Http.SendAsync(request);
        return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers);
    }

    private static void BreakTheDatabase(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA foreign_keys = OFF; DROP TABLE users;";
        command.ExecuteNonQuery();
    }

    private static JsonNode Union(JsonArray items)
    {
        if (items[0] is not JsonObject) { return items[0]!; }
        var union = new JsonObject();
        foreach (var item in items.OfType<JsonObject>())
        {
            foreach (var (name, value) in item)
            {
                if (!union.ContainsKey(name)) { union[name] = value?.DeepClone(); }
            }
        }
        return union;
    }

    private static void AssertSameShape(JsonNode expected, JsonNode actual, string where, IReadOnlySet<string> exact)
    {
        Assert.True(expected.GetValueKind() == actual.GetValueKind(), $"{where}: expected {expected.GetValueKind()}, got {actual.GetValueKind()} ({actual.ToJsonString()})");
        switch (expected)
        {
            case JsonObject expectedObject:
                var actualObject = actual.AsObject();
                foreach (var (name, _) in actualObject)
                {
                    Assert.True(expectedObject.ContainsKey(name), $"{where}: '{name}' is not in the contract's example");
                }
                foreach (var (name, value) in expectedObject)
                {
                    if (!actualObject.TryGetPropertyValue(name, out var actualValue))
                    {
                        Assert.True(Optional.Contains(name), $"{where}: '{name}' is missing");
                        continue;
                    }
                    if (name is "@type" or "code" or "statusCode" || exact.Contains(name) || (name is "status" or "callerPrivileges" && expectedObject["@type"]?.GetValue<string>() == "Account"))
                    {
                        Assert.True(JsonNode.DeepEquals(value, actualValue), $"{where}.{name}: expected {value!.ToJsonString()}, got {actualValue!.ToJsonString()}");
                    }
                    AssertSameShape(value!, actualValue!, $"{where}.{name}", exact);
                }
                break;
            case JsonArray expectedArray when expectedArray.Count > 0:
                var actualArray = actual.AsArray();
                Assert.NotEmpty(actualArray);
                // Same length: items pair up by position (bulk results). Otherwise each item matches the union of the example's items.
                var union = expectedArray.Count == actualArray.Count ? null : Union(expectedArray);
                for (var i = 0; i < actualArray.Count; i++)
                {
                    AssertSameShape(union ?? expectedArray[i]!, actualArray[i]!, $"{where}[{i}]", exact);
                }
                break;
        }
    }
}
