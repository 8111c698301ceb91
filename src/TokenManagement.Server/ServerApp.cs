using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace TokenManagement.Server;

/// <summary>Builds the token service: Kestrel, the middleware pipeline, the ApiToken and the AuditLog endpoints.</summary>
public static class ServerApp
{
    internal const string CallerKey = "TokenManagement.Caller";
    private const string Prefix = "/api/rest/v1/{accountId}";

    public static WebApplication Build(ServerOptions options, TextWriter? log = null)
    {
        Names.EnsureUnicodeSupport();
        var requestLog = new RequestLog(log ?? Console.Out);
        var rejections = new HostRejections(requestLog);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        // Only Kestrel's reasons for the requests it rejects before routing: HostRejections explains them in JSON.
        builder.Logging.AddProvider(rejections.ReasonCapture);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Debug);
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ServerOptions.MaxRequestBodyBytes;
            // Kestrel's defaults, stated here because docs/api.md states them.
            kestrel.Limits.MaxRequestLineSize = ServerOptions.MaxRequestLineBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = ServerOptions.MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestHeaderCount = ServerOptions.MaxRequestHeaderCount;
            kestrel.ConfigureEndpointDefaults(rejections.Configure);
        });

        var store = new TokenStore(options.DatabasePath);
        store.Initialize();
        builder.Services.AddSingleton(store);
        var service = new TokenService(store, options, new QueryTokenCodec(store.GetOrCreateSigningKey(), options.QueryTokenLifetime));
        var limiter = new AccountRateLimiter(options.RateLimit);

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(requestLog.Complete);

        app.Use((context, next) => LogRequest(context, next, requestLog));
        app.Use((context, next) => InjectFaults(context, next, options));
        app.Use(WriteErrors);
        app.UseStatusCodePages(context => WriteError(context.HttpContext, context.HttpContext.Response.StatusCode switch
        {
            405 => ApiError.MethodNotAllowed(context.HttpContext.Request.Method, context.HttpContext.Response.Headers.Allow.ToString()),
            _ => ApiError.NotFound("No such resource."),
        }));
        app.Use((context, next) => IsFaultAdmin(context, options) ? AdminFromLoopbackOnly(context, next) : Authenticate(context, next, store, limiter));
        if (options.FaultAdmin) { MapFaultAdmin(app, options.FaultPlan); }

        app.MapGet(Prefix + "/Account/{id}", (HttpContext c, string id) => service.GetAccount(Caller(c), id));
        app.MapPost(Prefix + "/ApiToken", async Task<IResult> (HttpContext c) => service.Create(Caller(c), await RequestBody.ReadJsonAsync(c, emptyIsObject: false)));
        app.MapPost(Prefix + "/ApiToken/query", async Task<IResult> (HttpContext c) => service.Query(Caller(c), await RequestBody.ReadJsonAsync(c, emptyIsObject: false)));
        app.MapPost(Prefix + "/ApiToken/queryMore", async Task<IResult> (HttpContext c) =>
        {
            // A queryToken carries its filter: base64 of a filter from a 64 KiB body needs more than 64 KiB.
            c.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = ServerOptions.MaxQueryTokenBytes;
            return service.QueryMore(Caller(c), await RequestBody.ReadTextAsync(c));
        });
        // The audit log is read-only: entries are read and queried, never changed, so any other method answers 405.
        app.MapGet(Prefix + "/AuditLog/{id}", (HttpContext c, string id) => service.GetAuditEntry(Caller(c), id));
        app.MapPost(Prefix + "/AuditLog/query", async Task<IResult> (HttpContext c) => service.QueryAuditLog(Caller(c), await RequestBody.ReadJsonAsync(c, emptyIsObject: false)));
        app.MapPost(Prefix + "/AuditLog/queryMore", async Task<IResult> (HttpContext c) =>
        {
            c.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = ServerOptions.MaxQueryTokenBytes;
            return service.QueryMoreAuditLog(Caller(c), await RequestBody.ReadTextAsync(c));
        });
        app.MapPost(Prefix + "/ApiToken/bulk", async Task<IResult> (HttpContext c) => service.Bulk(Caller(c), await RequestBody.ReadJsonAsync(c, emptyIsObject: false)));
        app.MapGet(Prefix + "/ApiToken/{id}", (HttpContext c, string id) => service.Get(Caller(c), id));
        app.MapPost(Prefix + "/ApiToken/{id}", async (HttpContext c, string id) => service.Update(Caller(c), id, await RequestBody.ReadJsonAsync(c, emptyIsObject: true)));
        app.MapDelete(Prefix + "/ApiToken/{id}", (HttpContext c, string id) =>
        {
            service.Revoke(Caller(c), id);
            return Results.NoContent();
        });
        return app;
    }

    /// <summary>The address Kestrel actually bound (port 0 becomes a real port).</summary>
    public static string ListeningAddress(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

    private static Caller Caller(HttpContext context) => (Caller)context.Items[CallerKey]!;

    private static async Task LogRequest(HttpContext context, RequestDelegate next, RequestLog log)
    {
        var started = Stopwatch.GetTimestamp();
        // One id per request, in the log line and the X-Request-Id header: what a user quotes when reporting a 500.
        context.TraceIdentifier = RequestIds.New();
        context.Response.Headers[RequestIds.Header] = context.TraceIdentifier;
        try { await next(context); }
        finally
        {
            var caller = context.Items[CallerKey] as Caller;
            // An injected abort keeps the status the change was committed with: the client never saw it.
            var aborted = context.Items.ContainsKey(AbortedKey) ? " connection=aborted" : "";
            var fault = context.Items[FaultKey] is string planned ? $" fault={planned}" : "";
            var failure = context.Items[FailureKey] is string cause ? $" error=\"{cause}\"" : "";
            // Method, path (escaped: no line breaks), status, duration, account, user, request id: never a header, a body or a token value.
            // Invariant culture: the line's numbers and times read the same whatever LANG the server runs under.
            log.Write(string.Create(CultureInfo.InvariantCulture,
                $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {context.Request.Method} {context.Request.Path} {context.Response.StatusCode} "
                + $"{Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1}ms account={caller?.AccountId ?? "-"} user={caller?.UserId ?? "-"}{aborted}{fault}"
                + $" request={context.TraceIdentifier}{failure}"));
        }
    }

    private const string FailureKey = "TokenManagement.Failure";

    private const string AbortedKey = "TokenManagement.Aborted";

    private const string FaultKey = "TokenManagement.Fault";

    /// <summary>The fault plan's endpoint, when --fault-admin switched it on.</summary>
    internal const string FaultAdminPath = "/_faults";

    private static bool IsFaultAdmin(HttpContext context, ServerOptions options) =>
        options.FaultAdmin && context.Request.Path.StartsWithSegments(FaultAdminPath, StringComparison.Ordinal);

    /// <summary>
    /// Fault testing: first the deterministic plan (a test chose this request's fault), then the random soak
    /// (--latency-ms, --fault-rate, --fault-abort-rate). The plan's own endpoint is never faulted.
    /// </summary>
    private static async Task InjectFaults(HttpContext context, RequestDelegate next, ServerOptions options)
    {
        var planned = IsFaultAdmin(context, options) ? null : options.FaultPlan.Next(context.Request.Method, context.Request.Path.Value ?? "");
        if (planned is not null) { context.Items[FaultKey] = FaultPlan.Names[planned.Fault]; }
        switch (planned?.Fault)
        {
            case FaultKind.Unavailable:
                await WriteError(context, ApiError.Unavailable(planned.RetryAfter > 0 ? planned.RetryAfter : null));
                return;
            case FaultKind.RateLimited:
                await WriteError(context, ApiError.RateLimited(Math.Max(1, planned.RetryAfter)));
                return;
            case FaultKind.InternalError:
                context.Items[FailureKey] = "fault plan: internal-error";
                await WriteError(context, ApiError.Internal(context.TraceIdentifier));
                return;
            case FaultKind.AbortBefore:
                context.Items[AbortedKey] = true;
                context.Abort();
                return;
            case FaultKind.Delay:
                await Task.Delay(planned.DelayMs, context.RequestAborted);
                break;
        }
        if (options.LatencyMs > 0) { await Task.Delay(options.LatencyMs, context.RequestAborted); }
        if (options.FaultRate > 0 && Random.Shared.NextDouble() < options.FaultRate)
        {
            await WriteError(context, ApiError.Unavailable(retryAfter: 1));
            return;
        }
        var plannedAbort = planned?.Fault == FaultKind.AbortAfterCommit;
        if (!plannedAbort && options.FaultAbortRate <= 0)
        {
            await next(context);
            return;
        }
        // Buffer the answer so that an abort happens after the change is committed but before the client sees anything.
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try { await next(context); }
        finally { context.Response.Body = original; }
        if (plannedAbort || Random.Shared.NextDouble() < options.FaultAbortRate)
        {
            context.Items[AbortedKey] = true;
            context.Abort();
            return;
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    private static void MapFaultAdmin(WebApplication app, FaultPlan plan)
    {
        IResult Describe() => Results.Content(plan.Describe(), "application/json");
        async Task<IReadOnlyList<FaultRule>> ReadPlan(HttpContext c)
        {
            try { return FaultPlan.Parse(await RequestBody.ReadJsonAsync(c, emptyIsObject: false)); }
            catch (FormatException e) { throw ApiError.InvalidRequest(e.Message); }
        }
        app.MapGet(FaultAdminPath, Describe);
        app.MapPut(FaultAdminPath, async (HttpContext c) => { plan.Replace(await ReadPlan(c)); return Describe(); });
        app.MapPost(FaultAdminPath, async (HttpContext c) => { plan.Add([.. await ReadPlan(c)]); return Describe(); });
        app.MapDelete(FaultAdminPath, () => { plan.Clear(); return Results.NoContent(); });
    }

    private static async Task WriteErrors(HttpContext context, RequestDelegate next)
    {
        try { await next(context); }
        catch (ApiError error) when (!context.Response.HasStarted) { await WriteError(context, error); }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            await WriteError(context, ApiError.InvalidRequest(bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"The request body exceeds {ServerOptions.MaxRequestBodyBytes / 1024} KiB."
                : "The request could not be read."));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { }
        catch (Exception failure)
        {
            // The cause goes to the log under the request id; the client learns only the id.
            context.Items[FailureKey] = RequestIds.DescribeFailure(failure);
            if (context.Response.HasStarted) { throw; }
            await WriteError(context, ApiError.Internal(context.TraceIdentifier));
        }
    }

    internal static Task WriteError(HttpContext context, ApiError error)
    {
        context.Response.StatusCode = error.Status;
        if (error.Status == 401) { context.Response.Headers.WWWAuthenticate = "Basic realm=\"AtomSphere\""; }
        if (error.RetryAfterSeconds is { } seconds) { context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture); }
        if (error.Allow is { } allow) { context.Response.Headers.Allow = allow; }
        return context.Response.WriteAsJsonAsync(new ErrorDto { Code = error.Code, Message = error.Message, RequestId = error.RequestId }, Json.Options);
    }

    /// <summary>The fault plan's endpoint has no credentials; it is off unless --fault-admin, and answers loopback callers only.</summary>
    private static Task AdminFromLoopbackOnly(HttpContext context, RequestDelegate next) =>
        context.Connection.RemoteIpAddress is { } address && System.Net.IPAddress.IsLoopback(address)
            ? next(context)
            : throw ApiError.Forbidden("The fault plan answers loopback callers only.");

    private static async Task Authenticate(HttpContext context, RequestDelegate next, TokenStore store, AccountRateLimiter limiter)
    {
        var segments = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (segments.Length < 4 || segments[0] != "api" || segments[1] != "rest" || segments[2] != "v1")
        {
            throw ApiError.NotFound("No such resource.");
        }
        var caller = ReadCredentials(context.Request) is var (user, token) ? store.Authenticate(user, token, DateTimeOffset.UtcNow) : null;
        if (caller is null) { throw ApiError.Unauthorized(); }
        context.Items[CallerKey] = caller;
        if (!caller.HasApiAccess) { throw ApiError.Forbidden("The user does not have the API Access privilege."); }
        if (!string.Equals(segments[3], caller.AccountId, StringComparison.Ordinal))
        {
            throw ApiError.Forbidden("The caller does not belong to that account.");
        }
        if (!limiter.TryAcquire(caller.AccountId, out var retryAfter)) { throw ApiError.RateLimited(retryAfter); }
        await next(context);
    }

    private static (string User, string Token)? ReadCredentials(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string basic = "Basic ";
        if (!header.StartsWith(basic, StringComparison.OrdinalIgnoreCase)) { return null; }
        string decoded;
        try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[basic.Length..].Trim())); }
        catch (FormatException) { return null; }
        var colon = decoded.IndexOf(':');
        const string userPrefix = "BOOMI_TOKEN.";
        if (colon < 0 || !decoded.StartsWith(userPrefix, StringComparison.Ordinal)) { return null; }
        return (decoded[userPrefix.Length..colon], decoded[(colon + 1)..]);
    }
}

/// <summary>Writes request lines off the request path, in order.</summary>
internal sealed class RequestLog
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public RequestLog(TextWriter output)
    {
        _writer = Task.Run(async () =>
        {
            await foreach (var line in _lines.Reader.ReadAllAsync()) { await output.WriteLineAsync(line); }
            await output.FlushAsync();
        });
    }

    public void Write(string line) => _lines.Writer.TryWrite(line);

    public void Complete()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
    }
}
