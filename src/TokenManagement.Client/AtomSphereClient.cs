using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security;
using Microsoft.Extensions.DependencyInjection;
using TokenManagement.Client.Internal;

namespace TokenManagement.Client;

/// <summary>
/// The ApiToken and AuditLog API (docs/api.md) for one account and credential. Thread-safe; one instance per connection.
/// Every failure is an <see cref="ApiException"/>; cancellation is an <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class AtomSphereClient : IDisposable
{
    private const string HttpClientName = "TokenManagement.AtomSphere";
    private const int BulkLimit = 100;

    /// <summary>How far a reconciled create's createdDate may lie before the request started (clock skew).</summary>
    private static readonly TimeSpan CreateReconcileSkew = TimeSpan.FromMinutes(5);

    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };
    private static readonly MediaTypeHeaderValue TextType = new("text/plain") { CharSet = "utf-8" };

    private readonly ServiceProvider _services;
    private readonly HttpClient _http;
    private readonly HttpMessageHandler? _ownedPrimaryHandler;
    private readonly SecureString _token;
    private readonly string _userId;
    private readonly Func<DateTimeOffset> _utcNow;
    private int _disposed;

    public AtomSphereClient(AtomSphereClientOptions options)
        : this(options, null, null, null)
    {
    }

    /// <summary>For tests: <paramref name="primaryHandler"/> replaces the network; <paramref name="delay"/> replaces Task.Delay
    /// (retry waits and the rate limiter); <paramref name="utcNow"/> replaces the wall clock and
    /// <paramref name="monotonic"/> the stopwatch (the retry budget, the rate limiter, the circuit breaker).</summary>
    internal AtomSphereClient(
        AtomSphereClientOptions options,
        HttpMessageHandler? primaryHandler,
        Func<TimeSpan, CancellationToken, Task>? delay,
        Func<DateTimeOffset>? utcNow,
        Func<TimeSpan>? monotonic = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Root is null || !options.Root.IsAbsoluteUri)
        {
            throw new ArgumentException("Options.Root must be an absolute URI, e.g. https://api.boomi.com.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.AccountId))
        {
            throw new ArgumentException("Options.AccountId is required.", nameof(options));
        }

        _userId = Secrets.NormalizeUserId(options.UserId);
        if (_userId.Length == 0)
        {
            throw new ArgumentException("Options.UserId is required.", nameof(options));
        }

        if (options.Token is null)
        {
            throw new ArgumentException("Options.Token is required.", nameof(options));
        }

        // Our own read-only copy: the caller may dispose or change theirs.
        _token = options.Token.Copy();
        _token.MakeReadOnly();

        _utcNow = utcNow ?? (() => DateTimeOffset.UtcNow);
        var realDelay = delay ?? ((wait, ct) => Task.Delay(wait, ct));
        var stopwatch = Stopwatch.StartNew();
        monotonic ??= () => stopwatch.Elapsed;

        BaseAddress = new Uri(options.Root.AbsoluteUri.TrimEnd('/') + "/api/rest/v1/" + Uri.EscapeDataString(options.AccountId.Trim()) + "/");
        RateLimiter = new AdaptiveRateLimiter(options.RequestsPerSecond, monotonic, realDelay);
        Breaker = new CircuitBreaker(options.OutageTolerance, monotonic);
        var settings = new RetrySettings
        {
            MaxRetries = Math.Max(0, options.MaxRetries),
            AttemptTimeout = options.Timeout,

            // A longer per-attempt timeout than the budget would be cut by it: the budget then allows one such attempt.
            Budget = options.RetryTimeBudget > options.Timeout ? options.RetryTimeBudget : options.Timeout,
            BasePath = BaseAddress.AbsolutePath,
            Root = options.Root,
        };

        if (primaryHandler is null)
        {
            _ownedPrimaryHandler = CreatePrimaryHandler();
        }

        var primary = primaryHandler ?? _ownedPrimaryHandler!;
        var services = new ServiceCollection();
        services.AddHttpClient(HttpClientName, client =>
            {
                client.BaseAddress = BaseAddress;

                // Each attempt has its own timeout in the retry policy; the whole call is bounded by the retry budget.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("TokenManagement", typeof(AtomSphereClient).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"));
            })
            .ConfigurePrimaryHttpMessageHandler(() => primary)

            // The factory's request logging is not used: the one place that reports requests is the RequestObserver.
            .RemoveAllLoggers()
            .AddHttpMessageHandler(() => new RetryHandler(settings, RateLimiter, Breaker, () => Options.RequestObserver, realDelay, monotonic, _utcNow))
            .AddHttpMessageHandler(() => new AuthenticationHandler(_userId, _token))

            // One client per instance, released by Dispose: no rotation (the primary handler refreshes its own connections).
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        _services = services.BuildServiceProvider();
        _http = _services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
    }

    public AtomSphereClientOptions Options { get; }

    /// <summary>{Root}/api/rest/v1/{AccountId}/: every request's path is relative to it.</summary>
    public Uri BaseAddress { get; }

    internal AdaptiveRateLimiter RateLimiter { get; }

    internal CircuitBreaker Breaker { get; }

    /// <summary>GET /Account/{accountId}: checks the credential, within <see cref="AtomSphereClientOptions.CheckTimeBudget"/> (connecting fails fast).</summary>
    public async Task<AccountInfo> GetAccountAsync(CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Get, "Account/" + Uri.EscapeDataString(Options.AccountId.Trim()), null, cancellationToken, Options.CheckTimeBudget).ConfigureAwait(false);
        return ApiJson.ReadAccount(body);
    }

    /// <summary>GET /ApiToken/{id}.</summary>
    public async Task<ApiToken> GetTokenAsync(string id, CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Get, TokenPath(id), null, cancellationToken).ConfigureAwait(false);
        return ApiJson.ReadToken(body);
    }

    /// <summary>POST /ApiToken. The only time the value is returned.</summary>
    /// <remarks>If the request gets no answer it is not sent again blindly: the client looks for a token of that name.
    /// If it finds one created just now, the create probably happened but its value is lost: ApiException (Unavailable).</remarks>
    public async Task<CreatedApiToken> CreateTokenAsync(string name, CancellationToken cancellationToken)
    {
        if (name is null)
        {
            throw new ArgumentNullException(nameof(name));
        }

        var started = _utcNow();
        var content = ApiJson.CreateBody(name);
        try
        {
            return await SendCreateAsync(content, cancellationToken).ConfigureAwait(false);
        }
        catch (OutcomeUnknownException unknown)
        {
            var existing = await FindOwnTokenByNameAsync(name, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                throw existing.CreatedDate >= started - CreateReconcileSkew
                    ? ProbablyCreated(name, existing, unknown)
                    : new ApiException(ApiErrorKind.NameConflict, $"A token named '{name}' already exists for this user (id {existing.Id}). Choose another name.", null, "NameConflict", unknown);
            }

            // Read back: not created. Sending it once more cannot create a duplicate: names are unique per user.
            try
            {
                return await SendCreateAsync(content, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiException conflict) when (conflict.Kind == ApiErrorKind.NameConflict)
            {
                // The first attempt arrived after our read-back.
                var late = await FindOwnTokenByNameAsync(name, cancellationToken).ConfigureAwait(false);
                if (late is not null && late.CreatedDate >= started - CreateReconcileSkew)
                {
                    throw ProbablyCreated(name, late, unknown);
                }

                throw;
            }
            catch (OutcomeUnknownException again)
            {
                var late = await FindOwnTokenByNameAsync(name, cancellationToken).ConfigureAwait(false);
                if (late is not null && late.CreatedDate >= started - CreateReconcileSkew)
                {
                    throw ProbablyCreated(name, late, again);
                }

                throw new ApiException(
                    ApiErrorKind.Unavailable,
                    $"The service did not answer while creating token '{name}' ({again.Reason}); the token was not created. Try again later.",
                    null,
                    null,
                    again);
            }
        }
    }

    /// <summary>POST /ApiToken/{id} with a new name and/or status; null leaves that field as it is.</summary>
    /// <remarks>If the request gets no answer it is not sent again blindly: the client reads the token back and
    /// compares; only if the change is not there does it send the update once more.</remarks>
    public async Task<ApiToken> UpdateTokenAsync(string id, string? newName, ApiTokenStatus? status, CancellationToken cancellationToken)
    {
        var path = TokenPath(id);
        var content = ApiJson.UpdateBody(newName, status);
        try
        {
            return ApiJson.ReadToken(await SendAsync(HttpMethod.Post, path, JsonContent(content), cancellationToken).ConfigureAwait(false));
        }
        catch (OutcomeUnknownException unknown)
        {
            var current = await GetTokenAsync(id, cancellationToken).ConfigureAwait(false);
            if (IsUpdated(current, newName, status))
            {
                return current;
            }

            try
            {
                return ApiJson.ReadToken(await SendAsync(HttpMethod.Post, path, JsonContent(content), cancellationToken).ConfigureAwait(false));
            }
            catch (OutcomeUnknownException again)
            {
                current = await GetTokenAsync(id, cancellationToken).ConfigureAwait(false);
                if (IsUpdated(current, newName, status))
                {
                    return current;
                }

                throw new ApiException(
                    ApiErrorKind.Unavailable,
                    $"The service did not answer while updating token '{current.Name}' (id {id}; {again.Reason}), and the change is not visible. Read the token and try again later.",
                    null,
                    null,
                    unknown);
            }
        }
    }

    /// <summary>DELETE /ApiToken/{id}.</summary>
    /// <remarks>A repeat after an unanswered attempt that answers 404 counts as success (RequestRecord says so).</remarks>
    public async Task RevokeTokenAsync(string id, CancellationToken cancellationToken)
    {
        await SendAsync(HttpMethod.Delete, TokenPath(id), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /ApiToken/query; a null filter matches everything visible to the caller.</summary>
    public async Task<QueryPage> QueryAsync(QueryExpression? filter, CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Post, "ApiToken/query", JsonContent(ApiJson.QueryBody(filter)), cancellationToken).ConfigureAwait(false);
        return ApiJson.ReadQueryPage(body);
    }

    /// <summary>POST /ApiToken/queryMore with the previous page's query token.</summary>
    public async Task<QueryPage> QueryMoreAsync(string queryToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(queryToken))
        {
            throw new ArgumentException("A query token is required.", nameof(queryToken));
        }

        var body = await SendQueryMoreAsync("ApiToken/queryMore", queryToken, cancellationToken).ConfigureAwait(false);
        return ApiJson.ReadQueryPage(body);
    }

    /// <summary>GET /AuditLog/{id}: one audit entry.</summary>
    public async Task<AuditLogEntry> GetAuditLogEntryAsync(string id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new ArgumentException("An audit entry id is required.", nameof(id));
        }

        var body = await SendAsync(HttpMethod.Get, "AuditLog/" + Uri.EscapeDataString(id), null, cancellationToken).ConfigureAwait(false);
        return ApiJson.ReadAuditLogEntry(body);
    }

    /// <summary>
    /// POST /AuditLog/query; a null filter matches every entry the caller may see (properties: date, userId,
    /// ownerUserId, action, tokenId, level, outcome). Oldest first.
    /// </summary>
    public async Task<AuditLogPage> QueryAuditLogAsync(QueryExpression? filter, CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Post, "AuditLog/query", JsonContent(ApiJson.QueryBody(filter)), cancellationToken).ConfigureAwait(false);
        return ApiJson.ReadAuditLogPage(body);
    }

    /// <summary>POST /AuditLog/queryMore with the previous page's query token.</summary>
    public async Task<AuditLogPage> QueryMoreAuditLogAsync(string queryToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(queryToken))
        {
            throw new ArgumentException("A query token is required.", nameof(queryToken));
        }

        var body = await SendQueryMoreAsync("AuditLog/queryMore", queryToken, cancellationToken).ConfigureAwait(false);
        return ApiJson.ReadAuditLogPage(body);
    }

    /// <summary>The audit log page after <paramref name="page"/>, or null after the last one (lazy, like <see cref="NextPageAsync"/>).</summary>
    public async Task<AuditLogPage?> NextAuditLogPageAsync(AuditLogPage page, CancellationToken cancellationToken)
    {
        if (page is null)
        {
            throw new ArgumentNullException(nameof(page));
        }

        return page.QueryToken is { Length: > 0 } next ? await QueryMoreAuditLogAsync(next, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>A queryMore: the bare queryToken as the whole text/plain body.</summary>
    private Task<byte[]> SendQueryMoreAsync(string path, string queryToken, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(queryToken));
        content.Headers.ContentType = TextType;
        return SendAsync(HttpMethod.Post, path, content, cancellationToken);
    }

    /// <summary>
    /// Every page of a query, lazily: the next page is requested only when the caller moves past the current one.
    /// </summary>
    public async IAsyncEnumerable<QueryPage> QueryPagesAsync(QueryExpression? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (QueryPage? page = await QueryAsync(filter, cancellationToken).ConfigureAwait(false);
             page is not null;
             page = await NextPageAsync(page, cancellationToken).ConfigureAwait(false))
        {
            yield return page;
        }
    }

    /// <summary>
    /// The page after <paramref name="page"/> (POST /ApiToken/queryMore), or null after the last one. The same lazy paging
    /// as <see cref="QueryPagesAsync"/> without IAsyncEnumerable, whose type differs between .NET Framework and .NET.
    /// </summary>
    public async Task<QueryPage?> NextPageAsync(QueryPage page, CancellationToken cancellationToken)
    {
        if (page is null)
        {
            throw new ArgumentNullException(nameof(page));
        }

        return page.QueryToken is { Length: > 0 } next ? await QueryMoreAsync(next, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>POST /ApiToken/bulk (type GET); more than 100 ids are sent in several requests.</summary>
    /// <remarks>Items come back in the order of <paramref name="ids"/>; <see cref="BulkItem.Index"/> is the position in it.</remarks>
    public async Task<IReadOnlyList<BulkItem>> BulkGetAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids is null)
        {
            throw new ArgumentNullException(nameof(ids));
        }

        var items = new List<BulkItem>(ids.Count);
        for (var offset = 0; offset < ids.Count; offset += BulkLimit)
        {
            var chunk = ids.Skip(offset).Take(BulkLimit);
            var body = await SendAsync(HttpMethod.Post, "ApiToken/bulk", JsonContent(ApiJson.BulkBody(chunk)), cancellationToken).ConfigureAwait(false);
            items.AddRange(ApiJson.ReadBulk(body, offset));
        }

        return items;
    }

    /// <summary>The token with this value, if the caller may see it (query on property <c>token</c>); null if none.</summary>
    public async Task<ApiToken?> FindTokenByValueAsync(SecureString value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            throw new ArgumentNullException(nameof(value));
        }

        var chars = Secrets.ToChars(value);
        byte[]? content = null;
        try
        {
            content = ApiJson.TokenValueQueryBody(chars);
            byte[] body;
            try
            {
                body = await SendAsync(HttpMethod.Post, "ApiToken/query", JsonContent(content), cancellationToken).ConfigureAwait(false);
            }
            catch (ApiException ex) when (Secrets.Contains(ex.Message, chars))
            {
                // The contract forbids echoing the value; should a service do it anyway, it goes no further.
                throw new ApiException(ex.Kind, "The service rejected the token query (its message contained the token value and is not shown).", ex.StatusCode, ex.ServerCode);
            }

            var page = ApiJson.ReadQueryPage(body);
            return page.Tokens.Count > 0 ? page.Tokens[0] : null;
        }
        finally
        {
            Array.Clear(chars, 0, chars.Length);
            if (content is not null)
            {
                Array.Clear(content, 0, content.Length);
            }
        }
    }

    /// <summary>The largest number of values <see cref="FindTokensByValuesAsync"/> puts in one query.</summary>
    public const int ValueBatchLimit = 50;

    /// <summary>
    /// The tokens with any of these values that the caller may see, in one query per <see cref="ValueBatchLimit"/>
    /// values (for a list of leaked values). Which value found which token is not said: a token's value is never shown.
    /// </summary>
    public async Task<IReadOnlyList<ApiToken>> FindTokensByValuesAsync(IReadOnlyList<SecureString> values, CancellationToken cancellationToken)
    {
        if (values is null)
        {
            throw new ArgumentNullException(nameof(values));
        }

        var found = new List<ApiToken>();
        for (var offset = 0; offset < values.Count; offset += ValueBatchLimit)
        {
            var chunk = values.Skip(offset).Take(ValueBatchLimit).Select(Secrets.ToChars).ToList();
            byte[]? content = null;
            try
            {
                content = ApiJson.TokenValuesQueryBody(chunk);
                byte[] body;
                try
                {
                    body = await SendAsync(HttpMethod.Post, "ApiToken/query", JsonContent(content), cancellationToken).ConfigureAwait(false);
                }
                catch (ApiException ex) when (chunk.Any(c => Secrets.Contains(ex.Message, c)))
                {
                    throw new ApiException(ex.Kind, "The service rejected the token query (its message contained a token value and is not shown).", ex.StatusCode, ex.ServerCode);
                }

                for (QueryPage? page = ApiJson.ReadQueryPage(body); page is not null; page = await NextPageAsync(page, cancellationToken).ConfigureAwait(false))
                {
                    found.AddRange(page.Tokens);
                }
            }
            finally
            {
                foreach (var chars in chunk)
                {
                    Array.Clear(chars, 0, chars.Length);
                }

                if (content is not null)
                {
                    Array.Clear(content, 0, content.Length);
                }
            }
        }

        return found;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _http.Dispose();
        _services.Dispose();
        _ownedPrimaryHandler?.Dispose();
        _token.Dispose();
    }

    private static HttpMessageHandler CreatePrimaryHandler()
    {
#if NET
        return new SocketsHttpHandler
        {
            // Handlers are not rotated (one per client), so connections are, for DNS changes.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.GZip | System.Net.DecompressionMethods.Deflate,
        };
#else
        return new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.GZip | System.Net.DecompressionMethods.Deflate,
        };
#endif
    }

    private async Task<CreatedApiToken> SendCreateAsync(byte[] content, CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Post, "ApiToken", JsonContent(content), cancellationToken).ConfigureAwait(false);
        try
        {
            return ApiJson.ReadCreated(body);
        }
        finally
        {
            // The body held the token's value.
            Array.Clear(body, 0, body.Length);
        }
    }

    private async Task<ApiToken?> FindOwnTokenByNameAsync(string name, CancellationToken cancellationToken)
    {
        var filter = QueryExpression.And(
            QueryExpression.Compare("name", "EQUALS", name),
            QueryExpression.Compare("userId", "EQUALS", _userId));
        var page = await QueryAsync(filter, cancellationToken).ConfigureAwait(false);

        // The service decides which names are equal (EQUALS): a user has at most one token with the name.
        return page.Tokens.FirstOrDefault();
    }

    private static ApiException ProbablyCreated(string name, ApiToken token, Exception inner) =>
        new(
            ApiErrorKind.Unavailable,
            $"The service did not answer while creating token '{name}', but a token with that name now exists (id {token.Id}, created {token.CreatedDate.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}): "
            + "it was probably created by this request, and its value cannot be shown again. Revoke that token and create it again.",
            null,
            null,
            inner);

    private static bool IsUpdated(ApiToken token, string? newName, ApiTokenStatus? status) =>
        (newName is null || string.Equals(token.Name, newName, StringComparison.Ordinal))
        && (status is null || token.Status == status.Value);

    private static string TokenPath(string id)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new ArgumentException("A token id is required.", nameof(id));
        }

        return "ApiToken/" + Uri.EscapeDataString(id);
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        return content;
    }

    /// <summary>Sends one request through the retry policy; the body of a 2xx answer, or an ApiException.</summary>
    private async Task<byte[]> SendAsync(HttpMethod method, string relativePath, HttpContent? content, CancellationToken cancellationToken, TimeSpan? budget = null)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(AtomSphereClient));
        }

        using var request = new HttpRequestMessage(method, new Uri(relativePath, UriKind.Relative)) { Content = content };
        if (budget is { } shorter)
        {
            RequestBudget.Set(request, shorter);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = response.Content is null
            ? Array.Empty<byte>()
            : await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status >= 200 && status < 300)
        {
            return body;
        }

        throw ToApiException(status, response.ReasonPhrase, body);
    }

    /// <summary>The one mapping from an error answer to an ApiException (docs/api.md, Errors).</summary>
    internal static ApiException ToApiException(int status, string? reasonPhrase, byte[] body)
    {
        var (code, serverMessage) = ApiJson.ReadError(body);
        var said = string.IsNullOrWhiteSpace(serverMessage)
            ? $"The service answered {status} {code ?? reasonPhrase}".TrimEnd() + "."
            : serverMessage!.Trim();
        if (!said.EndsWith(".", StringComparison.Ordinal) && !said.EndsWith("!", StringComparison.Ordinal) && !said.EndsWith("?", StringComparison.Ordinal))
        {
            said += ".";
        }

        ApiErrorKind kind;
        string advice;
        switch (status)
        {
            case 400:
            case 414: // the URI or the headers were too long for the service: a request to correct, like a 400
            case 431:
                kind = ApiErrorKind.InvalidRequest;
                advice = "";
                break;
            case 401:
                kind = ApiErrorKind.Unauthorized;
                advice = ""; // what to check depends on the case (connecting, or a token disabled since): the caller says it
                break;
            case 403:
                kind = ApiErrorKind.Forbidden;
                advice = ""; // which privilege is missing depends on who asked what: the caller says it
                break;
            case 404:
                kind = ApiErrorKind.NotFound;
                advice = "";
                break;
            case 409 when code == "NameConflict":
                kind = ApiErrorKind.NameConflict;
                advice = " Choose another name.";
                break;
            case 409 when code == "TokenLimitReached":
                kind = ApiErrorKind.TokenLimitReached;
                advice = " Revoke a token you no longer use first.";
                break;
            case 429:
            case 503:
                kind = ApiErrorKind.Unavailable;
                advice = code == "RateLimited" || status == 429
                    ? " The service is still throttling requests after the client's retries; wait a moment and try again, or lower the request rate."
                    : " The service is unavailable; try again later.";
                break;
            default:
                kind = ApiErrorKind.ServerError;
                advice = status >= 500 ? " This is a fault of the service; try again later, and report it if it persists." : " This answer is not part of the API contract; check the URI.";
                break;
        }

        return new ApiException(kind, said + advice, status, code);
    }
}
