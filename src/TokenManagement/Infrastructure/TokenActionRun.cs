using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>A target cmdlet's own action: its words and its one request.</summary>
internal sealed class TokenAction
{
    public TokenAction(string verb, string past, string progressActivity, Func<ApiToken, string> describe, Func<ApiToken, CancellationToken, Task<ApiToken>> apply)
    {
        Verb = verb;
        Past = past;
        ProgressActivity = progressActivity;
        Describe = describe;
        Apply = apply;
    }

    /// <summary>In messages: "revoke", "disable", ...</summary>
    public string Verb { get; }

    /// <summary>In the summary: "revoked", "disabled", ...</summary>
    public string Past { get; }

    public string ProgressActivity { get; }

    /// <summary>The ShouldProcess action text.</summary>
    public Func<ApiToken, string> Describe { get; }

    /// <summary>The request, through the token's own connection; returns the token to write with -PassThru.</summary>
    public Func<ApiToken, CancellationToken, Task<ApiToken>> Apply { get; }

    /// <summary>Disable and Remove: the token a connection authenticates with is skipped unless -IncludeCurrentToken.</summary>
    public bool EndsConnections { get; set; }

    /// <summary>The request's only input is a name (rename), so a 400 is about that name.</summary>
    public bool IsNameRequest { get; set; }
}

/// <summary>How one invocation runs its action.</summary>
internal sealed class TokenActionOptions
{
    public bool Force { get; set; }
    public bool IncludeCurrentToken { get; set; }
    public bool PassThru { get; set; }
    public int ThrottleLimit { get; set; } = 1;

    /// <summary>Bulk cmdlets: one summary on the information stream at the end.</summary>
    public bool Summarize { get; set; }

    /// <summary>How many tokens the run has, when the parameters say it (an array bound to -Id, -Name or -Token).</summary>
    public long? ExpectedTotal { get; set; }
}

/// <summary>
/// One invocation of a target cmdlet over resolved tokens: each token once, the token a connection authenticates
/// with protected (skipped with ApiTokenInUse, or with -IncludeCurrentToken done last and its connection then
/// closed), ShouldProcess before each request, the request in the <see cref="BulkExecutor"/>, and every outcome
/// written: the token with -PassThru, or one non-terminating error with the token as its target.
/// </summary>
internal sealed class TokenActionRun
{
    private readonly IPipelineChannel _channel;
    private readonly TokenAction _action;
    private readonly TokenActionOptions _options;
    private readonly ConnectionScope _scope;
    private readonly BulkExecutor _executor;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<(ApiToken Token, AtomSphereConnection[] Using)> _currentTokensLast = new();
    private BulkProgress? _progress;
    private long? _total;
    private int _asked;
    private int _skipped;

    public TokenActionRun(IPipelineChannel channel, TokenAction action, TokenActionOptions options, ConnectionScope scope)
    {
        _channel = channel;
        _action = action;
        _options = options;
        _scope = scope;
        _executor = new BulkExecutor(channel, options.ThrottleLimit);
        _total = options.ExpectedTotal;
    }

    /// <summary>ProcessRecord: asks and starts each token's request (results are written as they finish).</summary>
    public async Task ProcessAsync(IReadOnlyList<ApiToken> tokens, CancellationToken cancellationToken)
    {
        foreach (ApiToken token in tokens)
        {
            _total ??= token.ListingTotal;
            if (!_seen.Add($"{token.Connection?.Uri} {token.AccountId} {token.Id}"))
            {
                continue; // named twice (a pattern and its literal, a token piped twice, through two connections): acted on once
            }

            if (_action.EndsConnections && ConnectionsUsing(token) is { Length: > 0 } users)
            {
                if (_options.IncludeCurrentToken)
                {
                    _currentTokensLast.Add((token, users));
                }
                else
                {
                    Interlocked.Increment(ref _skipped);
                    await _channel.WriteErrorAsync(ApiErrors.TokenInUse(token, _action.Verb, users)).ConfigureAwait(false);
                }

                continue;
            }

            await StartAsync(token, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// EndProcessing: waits for the rest, then the tokens connections use, closing those connections; then the
    /// summary (bulk cmdlets), counting <paramref name="lookupFailures"/> (what could not be found) as failed.
    /// </summary>
    public async Task CompleteAsync(int lookupFailures, CancellationToken cancellationToken)
    {
        await _executor.DrainAsync().ConfigureAwait(false);
        foreach ((ApiToken token, AtomSphereConnection[] users) in _currentTokensLast)
        {
            if (await StartAsync(token, cancellationToken).ConfigureAwait(false) is { } work && await work.ConfigureAwait(false))
            {
                foreach (AtomSphereConnection connection in users)
                {
                    _scope.Close(connection);
                    _channel.QueueWarning($"Connection {connection.Id} authenticated with API token {ApiTokenMapper.Describe(token)} and is now closed. Run Connect-AtomSphere with another token.");
                }
            }
        }

        _progress?.Complete();
        if (_options.Summarize)
        {
            (int done, int failed) = _progress?.Counts ?? (0, 0);
            _channel.QueueInformation(
                $"{Capitalized(_action.Past)}: {done}, failed: {failed + lookupFailures}, skipped: {Volatile.Read(ref _skipped)} (declined, or used by a connection).");
        }
    }

    private static string Capitalized(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word.Substring(1);

    /// <summary>The open connections (this runspace's, and the token's own) that authenticate with the token.</summary>
    private AtomSphereConnection[] ConnectionsUsing(ApiToken token) => ConnectionsUsing(_scope, token);

    /// <inheritdoc cref="ConnectionsUsing(ApiToken)"/>
    internal static AtomSphereConnection[] ConnectionsUsing(ConnectionScope scope, ApiToken token) =>
        scope.All.Concat(token.Connection is { } own ? new[] { own } : Array.Empty<AtomSphereConnection>())
            .Distinct()
            .Where(c => c.State == AtomSphereConnectionState.Open
                && c.Session.IsOwnToken(token.Id)
                && token.Connection is { } via
                && string.Equals(c.AccountId, via.AccountId, StringComparison.Ordinal)
                && c.Uri == via.Uri)
            .ToArray();

    /// <returns>The running request, or null when declined.</returns>
    private async Task<Task<bool>?> StartAsync(ApiToken token, CancellationToken cancellationToken)
    {
        string target = ApiTokenMapper.Describe(token);
        int ordinal = ++_asked;
        string asked = _total is { } total && total > 1 ? $"{target} (item {ordinal} of {total})" : target;
        if (!await _channel.ShouldProcessAsync(asked, _action.Describe(token), _options.Force).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _skipped);
            return null;
        }

        if (_progress is null)
        {
            _progress = new BulkProgress(_action.ProgressActivity, _channel.QueueProgress) { Total = _total };
            BulkProgress progress = _progress;
            _channel.RetryObserver = progress.Retrying;
        }

        return await _executor.StartAsync(requestToken => ApplyAsync(token, target, requestToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> ApplyAsync(ApiToken token, string target, CancellationToken requestToken)
    {
        ApiToken result;
        try
        {
            result = await _action.Apply(token, requestToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (requestToken.IsCancellationRequested)
        {
            _progress!.Failed();
            throw; // Ctrl+C: the pipeline is stopping and takes no more output
        }
        catch (Exception exception)
        {
            _progress!.Failed();
            await _channel.WriteErrorAsync(ApiErrors.FromException(exception, token, $"Could not {_action.Verb} API token {target}", _action.IsNameRequest,
                new ErrorCase { Connection = token.Connection, Rename = _action.IsNameRequest, Change = true, Token = token })).ConfigureAwait(false);
            return false;
        }

        _progress!.Done();
        if (_options.PassThru)
        {
            await _channel.WriteObjectAsync(result).ConfigureAwait(false);
        }

        return true;
    }
}
