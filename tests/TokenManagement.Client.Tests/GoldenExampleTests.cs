using System.Globalization;
using System.Text.Json;

namespace TokenManagement.Client.Tests;

/// <summary>
/// Every golden example in tests/contract: the fake service answers the golden response; the client must have
/// sent the golden request and decoded the answer into the right objects, or the right ApiException.
/// </summary>
public sealed class GoldenExampleTests
{
    private static readonly string ContractDir = Path.Combine(AppContext.BaseDirectory, "contract");

    private static readonly string[] ExpectedFiles =
    [
        "create", "read", "update-rename", "update-status", "revoke", "query-all", "query-filter", "query-more", "bulk", "account",
        "error-400-InvalidRequest", "error-401-Unauthorized", "error-403-Forbidden", "error-404-NotFound",
        "error-409-NameConflict", "error-409-TokenLimitReached", "error-503-RateLimited", "error-503-Unavailable",
        "error-500-InternalError", "auditlog-query", "auditlog-query-more", "auditlog-read",
    ];

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(ContractDir, "*.json").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Fact]
    public void EveryRequiredExampleExists()
    {
        var present = Directory.GetFiles(ContractDir, "*.json").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        Assert.Equal([], ExpectedFiles.Where(f => !present.Contains(f)).ToArray());
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task ClientSendsTheGoldenRequestAndDecodesTheGoldenResponse(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ContractDir, name + ".json")));
        var golden = doc.RootElement;
        Assert.False(string.IsNullOrWhiteSpace(golden.GetProperty("description").GetString()));
        var request = golden.GetProperty("request");
        var response = golden.GetProperty("response");
        var status = response.GetProperty("status").GetInt32();

        using var t = new TestClient(new FakeHandler((_, _) => GoldenResponse(response)));
        object? result = null;
        var outcome = await Record.ExceptionAsync(async () => result = await Invoke(t.Client, request));

        // The request on the wire.
        var sent = t.Handler.Sent;
        Assert.NotEmpty(sent);
        foreach (var s in sent)
        {
            AssertSentMatches(request, s);
        }

        if (status >= 200 && status < 300)
        {
            Assert.Null(outcome);
            Assert.Single(sent);
            AssertDecoded(request, response, result);
            return;
        }

        // An error example: error-<status>-<code>.
        var apiException = Assert.IsType<ApiException>(outcome);
        var body = response.GetProperty("body");
        var code = body.GetProperty("code").GetString()!;
        Assert.Equal($"error-{status}-{code}", name);
        Assert.Equal(ExpectedKind(status, code), apiException.Kind);
        Assert.Equal(status, apiException.StatusCode);
        Assert.Equal(code, apiException.ServerCode);
        Assert.Contains(body.GetProperty("message").GetString()!, apiException.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestClient.TokenValue, apiException.Message, StringComparison.Ordinal);

        // 503 is retried (MaxRetries 5: six attempts), nothing else is.
        Assert.Equal(status == 503 ? 6 : 1, sent.Count);
        if (response.GetProperty("headers").TryGetProperty("Retry-After", out var retryAfter))
        {
            var seconds = double.Parse(retryAfter.GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(seconds), 5), t.Delays);
        }
    }

    private static ApiErrorKind ExpectedKind(int status, string code) => (status, code) switch
    {
        (400, "InvalidRequest") => ApiErrorKind.InvalidRequest,
        (401, "Unauthorized") => ApiErrorKind.Unauthorized,
        (403, "Forbidden") => ApiErrorKind.Forbidden,
        (404, "NotFound") => ApiErrorKind.NotFound,
        (409, "NameConflict") => ApiErrorKind.NameConflict,
        (409, "TokenLimitReached") => ApiErrorKind.TokenLimitReached,
        (503, _) => ApiErrorKind.Unavailable,
        (500, "InternalError") => ApiErrorKind.ServerError,
        _ => throw new InvalidOperationException($"No expectation for {status} {code}."),
    };

    private static HttpResponseMessage GoldenResponse(JsonElement response)
    {
        var status = response.GetProperty("status").GetInt32();
        var headers = response.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        if (!response.TryGetProperty("body", out var body))
        {
            var empty = new HttpResponseMessage((System.Net.HttpStatusCode)status);
            foreach (var h in headers)
            {
                empty.Headers.TryAddWithoutValidation(h.Key, h.Value);
            }

            return empty;
        }

        return FakeHandler.Json(status, body.GetRawText(), headers);
    }

    /// <summary>Calls the client operation the golden request stands for, with the arguments it carries.</summary>
    private static async Task<object?> Invoke(AtomSphereClient client, JsonElement request)
    {
        var method = request.GetProperty("method").GetString();
        var path = request.GetProperty("path").GetString()!;
        var segments = path.Trim('/').Split('/');
        request.TryGetProperty("body", out var body);
        var ct = CancellationToken.None;

        switch (method, segments)
        {
            case ("GET", ["Account", _]):
                return await client.GetAccountAsync(ct);
            case ("GET", ["ApiToken", var id]):
                return await client.GetTokenAsync(id, ct);
            case ("DELETE", ["ApiToken", var id]):
                await client.RevokeTokenAsync(id, ct);
                return null;
            case ("POST", ["ApiToken"]):
                return await client.CreateTokenAsync(body.GetProperty("name").GetString()!, ct);
            case ("POST", ["ApiToken", "query"]):
                return await client.QueryAsync(
                    body.TryGetProperty("QueryFilter", out var filter) ? ToExpression(filter.GetProperty("expression")) : null, ct);
            case ("POST", ["ApiToken", "queryMore"]):
                return await client.QueryMoreAsync(body.GetString()!, ct);
            case ("GET", ["AuditLog", var id]):
                return await client.GetAuditLogEntryAsync(id, ct);
            case ("POST", ["AuditLog", "query"]):
                return await client.QueryAuditLogAsync(
                    body.TryGetProperty("QueryFilter", out var auditFilter) ? ToExpression(auditFilter.GetProperty("expression")) : null, ct);
            case ("POST", ["AuditLog", "queryMore"]):
                return await client.QueryMoreAuditLogAsync(body.GetString()!, ct);
            case ("POST", ["ApiToken", "bulk"]):
                return await client.BulkGetAsync(body.GetProperty("request").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList(), ct);
            case ("POST", ["ApiToken", var id]):
                ApiTokenStatus? status = body.TryGetProperty("status", out var s)
                    ? s.GetString() == "ENABLED" ? ApiTokenStatus.Enabled : ApiTokenStatus.Disabled
                    : null;
                return await client.UpdateTokenAsync(id, body.TryGetProperty("name", out var n) ? n.GetString() : null, status, ct);
            default:
                throw new InvalidOperationException($"No client operation for {method} {path}.");
        }
    }

    /// <summary>The golden filter as the caller would build it with QueryExpression.</summary>
    internal static QueryExpression ToExpression(JsonElement e)
    {
        var op = e.GetProperty("operator").GetString()!;
        if (e.TryGetProperty("nestedExpression", out var nested))
        {
            var children = nested.EnumerateArray().Select(ToExpression).ToArray();
            return op switch
            {
                "and" => QueryExpression.And(children),
                "or" => QueryExpression.Or(children),
                _ => new GroupingExpression(op, children),
            };
        }

        var args = e.TryGetProperty("argument", out var a) ? a.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
        return QueryExpression.Compare(e.GetProperty("property").GetString()!, op, args);
    }

    private static void AssertSentMatches(JsonElement golden, SentRequest sent)
    {
        Assert.Equal(golden.GetProperty("method").GetString(), sent.Method);
        Assert.Equal(golden.GetProperty("path").GetString()!.Replace("{accountId}", TestClient.AccountId, StringComparison.Ordinal), sent.Path);
        Assert.Null(sent.Query);
        Assert.Equal("application/json", sent.Accept);
        if (!golden.TryGetProperty("body", out var body))
        {
            Assert.False(golden.TryGetProperty("contentType", out _));
            Assert.True(string.IsNullOrEmpty(sent.Body));
            return;
        }

        Assert.Equal(golden.GetProperty("contentType").GetString(), sent.ContentType);
        if (sent.ContentType == "text/plain")
        {
            Assert.Equal(body.GetString(), sent.Body);
        }
        else
        {
            using var actual = JsonDocument.Parse(sent.Body!);
            Assert.True(
                JsonElement.DeepEquals(body, actual.RootElement),
                $"Sent body {sent.Body} is not equivalent to the golden {body.GetRawText()}");
        }
    }

    private static void AssertDecoded(JsonElement request, JsonElement response, object? result)
    {
        if (!response.TryGetProperty("body", out var body))
        {
            Assert.Null(result); // revoke: 204, nothing to decode
            return;
        }

        switch (body.GetProperty("@type").GetString())
        {
            case "ApiToken" when result is CreatedApiToken created:
                AssertToken(body, created.Token);
                Assert.Equal(body.GetProperty("token").GetString(), TestClient.Plain(created.Value));
                Assert.True(created.Value.IsReadOnly());
                break;
            case "ApiToken":
                Assert.False(body.TryGetProperty("token", out _));
                AssertToken(body, Assert.IsType<ApiToken>(result));
                break;
            case "AuditLog":
                AssertEntry(body, Assert.IsType<AuditLogEntry>(result));
                break;
            case "QueryResult" when result is AuditLogPage auditPage:
                Assert.Equal(body.GetProperty("numberOfResults").GetInt64(), auditPage.NumberOfResults);
                Assert.Equal(body.TryGetProperty("queryToken", out var auditToken) ? auditToken.GetString() : null, auditPage.QueryToken);
                var goldenEntries = body.GetProperty("result").EnumerateArray().ToList();
                Assert.Equal(goldenEntries.Count, auditPage.Entries.Count);
                for (var i = 0; i < goldenEntries.Count; i++)
                {
                    AssertEntry(goldenEntries[i], auditPage.Entries[i]);
                }

                break;
            case "QueryResult":
                var page = Assert.IsType<QueryPage>(result);
                Assert.Equal(body.GetProperty("numberOfResults").GetInt64(), page.NumberOfResults);
                Assert.Equal(body.TryGetProperty("queryToken", out var qt) ? qt.GetString() : null, page.QueryToken);
                var goldenTokens = body.GetProperty("result").EnumerateArray().ToList();
                Assert.Equal(goldenTokens.Count, page.Tokens.Count);
                for (var i = 0; i < goldenTokens.Count; i++)
                {
                    AssertToken(goldenTokens[i], page.Tokens[i]);
                }

                break;
            case "BulkResult":
                var items = Assert.IsAssignableFrom<IReadOnlyList<BulkItem>>(result);
                var goldenItems = body.GetProperty("response").EnumerateArray().ToList();
                Assert.Equal(goldenItems.Count, items.Count);
                Assert.Equal(request.GetProperty("body").GetProperty("request").GetArrayLength(), items.Count);
                for (var i = 0; i < goldenItems.Count; i++)
                {
                    var g = goldenItems[i];
                    Assert.Equal(g.GetProperty("index").GetInt32(), items[i].Index);
                    Assert.Equal(g.GetProperty("id").GetString(), items[i].Id);
                    Assert.Equal(g.GetProperty("statusCode").GetInt32(), items[i].StatusCode);
                    if (g.TryGetProperty("Result", out var r))
                    {
                        AssertToken(r, Assert.IsType<ApiToken>(items[i].Token));
                        Assert.Null(items[i].ErrorMessage);
                    }
                    else
                    {
                        Assert.Null(items[i].Token);
                        Assert.Equal(g.GetProperty("errorMessage").GetString(), items[i].ErrorMessage);
                    }
                }

                break;
            case "Account":
                var account = Assert.IsType<AccountInfo>(result);
                Assert.Equal(body.GetProperty("accountId").GetString(), account.AccountId);
                Assert.Equal(body.GetProperty("name").GetString(), account.Name);
                Assert.Equal(body.GetProperty("status").GetString(), account.Status);
                Assert.Equal(body.GetProperty("callerPrivileges").EnumerateArray().Select(p => p.GetString()!).ToArray(), account.CallerPrivileges!);
                Assert.False(account.IsAdministrator);
                break;
            default:
                Assert.Fail("Unknown @type " + body.GetProperty("@type").GetString());
                break;
        }
    }

    private static void AssertToken(JsonElement g, ApiToken t)
    {
        Assert.Equal(g.GetProperty("id").GetString(), t.Id);
        Assert.Equal(g.GetProperty("accountId").GetString(), t.AccountId);
        Assert.Equal(g.GetProperty("userId").GetString(), t.UserId);
        Assert.Equal(g.GetProperty("name").GetString(), t.Name);
        Assert.Equal(g.GetProperty("tokenPrefix").GetString(), t.TokenPrefix);
        Assert.Equal(g.GetProperty("status").GetString() == "ENABLED" ? ApiTokenStatus.Enabled : ApiTokenStatus.Disabled, t.Status);
        Assert.Equal(ParseDate(g.GetProperty("createdDate").GetString()!), t.CreatedDate);
        Assert.Equal(TimeSpan.Zero, t.CreatedDate.Offset);
        if (g.TryGetProperty("lastUsedDate", out var last))
        {
            Assert.Equal(ParseDate(last.GetString()!), t.LastUsedDate);
        }
        else
        {
            Assert.Null(t.LastUsedDate);
        }
    }

    private static void AssertEntry(JsonElement g, AuditLogEntry e)
    {
        Assert.Equal(g.GetProperty("id").GetString(), e.Id);
        Assert.Equal(g.GetProperty("accountId").GetString(), e.AccountId);
        Assert.Equal(ParseDate(g.GetProperty("date").GetString()!), e.Date);
        Assert.Equal(TimeSpan.Zero, e.Date.Offset);
        Assert.Equal(g.GetProperty("userId").GetString(), e.UserId);
        Assert.Equal(g.GetProperty("ownerUserId").GetString(), e.OwnerUserId);
        Assert.Equal(g.GetProperty("action").GetString(), e.Action.ToString().ToUpperInvariant());
        Assert.Equal(g.GetProperty("tokenId").GetString(), e.TokenId);
        Assert.Equal(g.GetProperty("tokenName").GetString(), e.TokenName);
        Assert.Equal(g.TryGetProperty("newTokenName", out var newName) ? newName.GetString() : null, e.NewTokenName);
        Assert.Equal(g.GetProperty("tokenPrefix").GetString(), e.TokenPrefix);
        Assert.Equal(g.GetProperty("level").GetString(), e.Level.ToString().ToUpperInvariant());
        Assert.Equal(g.GetProperty("source").GetString(), e.Source);
        Assert.Equal(g.GetProperty("outcome").GetString()!.Replace("_", ""), e.Outcome.ToString().ToUpperInvariant());
    }

    private static DateTimeOffset ParseDate(string s) =>
        DateTimeOffset.ParseExact(s, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

/// <summary>The golden examples themselves follow the contract's rules (docs/api.md).</summary>
public sealed class GoldenExampleShapeTests
{
    private static readonly string ContractDir = Path.Combine(AppContext.BaseDirectory, "contract");

    [Fact]
    public void ValuesPrefixesDatesAndQueryTokensHaveTheContractsShape()
    {
        foreach (var file in Directory.GetFiles(ContractDir, "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var token in Tokens(doc.RootElement.GetProperty("response")))
            {
                Assert.Equal("ApiToken", token.GetProperty("@type").GetString());
                Assert.Equal(TestClient.AccountId, token.GetProperty("accountId").GetString());
                Assert.Equal(6, token.GetProperty("tokenPrefix").GetString()!.Length);
                Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", token.GetProperty("createdDate").GetString()!);
                if (token.TryGetProperty("token", out var value))
                {
                    Assert.True(Guid.TryParseExact(value.GetString(), "D", out _));
                    Assert.StartsWith(token.GetProperty("tokenPrefix").GetString()!, value.GetString()!, StringComparison.Ordinal);
                }
            }
        }

        foreach (var file in Directory.GetFiles(ContractDir, "auditlog-*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var entry in Objects(doc.RootElement.GetProperty("response"), "AuditLog"))
            {
                Assert.Equal(TestClient.AccountId, entry.GetProperty("accountId").GetString());
                Assert.Equal(6, entry.GetProperty("tokenPrefix").GetString()!.Length);
                Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", entry.GetProperty("date").GetString()!);
                Assert.Equal(entry.GetProperty("action").GetString() == "RENAME", entry.TryGetProperty("newTokenName", out _));
                Assert.Equal(entry.GetProperty("userId").GetString() == entry.GetProperty("ownerUserId").GetString() ? "USER" : "ADMINISTRATOR", entry.GetProperty("level").GetString());
                Assert.False(entry.TryGetProperty("token", out _));
            }
        }

        using var first = JsonDocument.Parse(File.ReadAllText(Path.Combine(ContractDir, "query-all.json")));
        using var more = JsonDocument.Parse(File.ReadAllText(Path.Combine(ContractDir, "query-more.json")));
        var firstPage = first.RootElement.GetProperty("response").GetProperty("body");
        Assert.Equal(100, firstPage.GetProperty("result").GetArrayLength());
        Assert.Equal(firstPage.GetProperty("queryToken").GetString(), more.RootElement.GetProperty("request").GetProperty("body").GetString());
        Assert.False(more.RootElement.GetProperty("response").GetProperty("body").TryGetProperty("queryToken", out _));
    }

    private static IEnumerable<JsonElement> Tokens(JsonElement e) => Objects(e, "ApiToken");

    /// <summary>Every object of this @type anywhere in <paramref name="e"/>.</summary>
    private static IEnumerable<JsonElement> Objects(JsonElement e, string objectType)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            if (e.TryGetProperty("@type", out var type) && type.GetString() == objectType)
            {
                yield return e;
            }

            foreach (var p in e.EnumerateObject())
            {
                foreach (var t in Objects(p.Value, objectType))
                {
                    yield return t;
                }
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
            {
                foreach (var t in Objects(item, objectType))
                {
                    yield return t;
                }
            }
        }
    }
}
