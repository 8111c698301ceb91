using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TokenManagement.Server;

namespace TokenManagement.Server.Tests;

/// <summary>The real server on Kestrel, on a free 127.0.0.1 port and a new SQLite file.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StringWriter _log;
    private readonly string _directory;

    private TestServer(WebApplication app, StringWriter log, string directory, ServerOptions options)
    {
        _app = app;
        _log = log;
        _directory = directory;
        Options = options;
        Root = new Uri(ServerApp.ListeningAddress(app));
        // The app's own store, so that a test can reach into exactly what serves the requests.
        Store = app.Services.GetRequiredService<TokenStore>();
    }

    public Uri Root { get; }
    public ServerOptions Options { get; }
    public TokenStore Store { get; }

    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    public static async Task<TestServer> StartAsync(Action<ServerOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "tm-tests-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(directory);
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", DatabasePath = Path.Combine(directory, "tokens.db"), RateLimit = 0 };
        configure?.Invoke(options);
        var log = new StringWriter();
        var app = ServerApp.Build(options, new LockedWriter(log));
        await app.StartAsync();
        return new TestServer(app, log, directory, options);
    }

    /// <summary>Creates the account and user if missing and returns a client authenticated with a new token.</summary>
    public ApiClient AddUser(string account, string user, bool admin = false, bool apiAccess = true, string tokenName = "bootstrap")
    {
        var (record, value) = Store.AddUserWithToken(account, user, admin, apiAccess, tokenName, DateTimeOffset.UtcNow);
        return new ApiClient(this, account, user, value, record.Id);
    }

    public ApiClient ClientFor(string account, string user, string token) => new(this, account, user, token, null);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed class LockedWriter(StringWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;
        public override void Write(char value) { lock (inner) { inner.Write(value); } }
        public override void WriteLine(string? value) { lock (inner) { inner.WriteLine(value); } }
        public override Task WriteLineAsync(string? value) { WriteLine(value); return Task.CompletedTask; }
    }
}

/// <summary>A plain HTTP caller of the API, the way any client would call it.</summary>
public sealed class ApiClient
{
    private readonly HttpClient _http;

    public ApiClient(TestServer server, string account, string user, string token, string? tokenId)
    {
        Account = account;
        User = user;
        Token = token;
        TokenId = tokenId;
        _http = new HttpClient { BaseAddress = new Uri(server.Root, $"/api/rest/v1/{account}/") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"BOOMI_TOKEN.{user}:{token}")));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public string Account { get; }
    public string User { get; }
    public string Token { get; }
    public string? TokenId { get; }
    public HttpClient Http => _http;

    public Task<Answer> Get(string path) => Send(HttpMethod.Get, path, null);
    public Task<Answer> Delete(string path) => Send(HttpMethod.Delete, path, null);
    public Task<Answer> Post(string path, object body) => Send(HttpMethod.Post, path, JsonContent.Create(body));
    public Task<Answer> PostRaw(string path, string body, string contentType = "application/json") =>
        Send(HttpMethod.Post, path, new StringContent(body, Encoding.UTF8, contentType));

    /// <summary>Bytes exactly as given: for bodies that are not valid UTF-8.</summary>
    public Task<Answer> PostBytes(string path, byte[] body, string contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return Send(HttpMethod.Post, path, content);
    }

    public Task<Answer> Send(string method, string path, string? body = null) =>
        Send(new HttpMethod(method), path, body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));

    public async Task<JsonObject> Create(string name)
    {
        var answer = await Post("ApiToken", new { name });
        Assert.Equal(200, answer.Status);
        return answer.Object;
    }

    /// <summary>A query of <paramref name="objectType"/> (ApiToken or AuditLog).</summary>
    public Task<Answer> Query(object? expression, string objectType = "ApiToken") =>
        expression is null
            ? PostRaw($"{objectType}/query", "{}")
            : Post($"{objectType}/query", new Dictionary<string, object> { ["QueryFilter"] = new Dictionary<string, object> { ["expression"] = expression } });

    /// <summary>Every result of a query, following queryMore to the end.</summary>
    public async Task<List<JsonObject>> QueryAll(object? expression, string objectType = "ApiToken")
    {
        var answer = await Query(expression, objectType);
        Assert.True(answer.Status == 200, answer.Text);
        var all = answer.Object["result"]!.AsArray().Select(n => n!.AsObject()).ToList();
        while (answer.Object["queryToken"] is { } token)
        {
            answer = await PostRaw($"{objectType}/queryMore", token.GetValue<string>(), "text/plain");
            Assert.Equal(200, answer.Status);
            all.AddRange(answer.Object["result"]!.AsArray().Select(n => n!.AsObject()));
        }
        return all;
    }

    private async Task<Answer> Send(HttpMethod method, string path, HttpContent? content)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Answer((int)response.StatusCode, text, response.Headers, response.Content.Headers);
    }
}

public sealed record Answer(int Status, string Text, HttpResponseHeaders Headers, HttpContentHeaders? ContentHeaders = null)
{
    /// <summary>A response or content header (HttpClient keeps Allow and Content-Type with the content).</summary>
    public string? Header(string name) =>
        Headers.TryGetValues(name, out var values) || ContentHeaders?.TryGetValues(name, out values) == true ? string.Join(", ", values!) : null;

    public JsonObject Object => JsonNode.Parse(Text)!.AsObject();
    public string? Code => Object["code"]?.GetValue<string>();

    public void AssertError(int status, string code)
    {
        Assert.True(Status == status, $"expected {status} {code}, got {Status}: {Text}");
        Assert.Equal("Error", Object["@type"]!.GetValue<string>());
        Assert.Equal(code, Code);
        Assert.False(string.IsNullOrWhiteSpace(Object["message"]?.GetValue<string>()));
    }
}

public static class Filters
{
    public static object Simple(string op, string property, params string[] argument) => new Dictionary<string, object>
    {
        ["operator"] = op,
        ["property"] = property,
        ["argument"] = argument,
    };

    public static object And(params object[] nested) => new Dictionary<string, object> { ["operator"] = "and", ["nestedExpression"] = nested };
    public static object Or(params object[] nested) => new Dictionary<string, object> { ["operator"] = "or", ["nestedExpression"] = nested };
}
