using System.Diagnostics;
using System.Security;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>What one pipeline record of a target cmdlet names: the parameter set and its values.</summary>
internal sealed class TargetRequest
{
    public TargetRequest(string parameterSet, ApiToken? inputObject, IReadOnlyList<string>? ids, IReadOnlyList<string>? names, IReadOnlyList<SecureString>? values = null)
    {
        ParameterSet = parameterSet;
        InputObject = inputObject;
        Ids = ids ?? Array.Empty<string>();
        Names = names ?? Array.Empty<string>();
        Values = values ?? Array.Empty<SecureString>();
    }

    public string ParameterSet { get; }
    public ApiToken? InputObject { get; }
    public IReadOnlyList<string> Ids { get; }
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<SecureString> Values { get; }
}

/// <summary>The parameter sets of the target cmdlets (Rename, Enable, Disable, Remove; Token is Remove's).</summary>
internal static class TargetSets
{
    public const string InputObject = "InputObject";
    public const string Id = "Id";
    public const string Name = "Name";
    public const string Token = "Token";
}

/// <summary>
/// Turns what the records name into the real tokens, each as the service describes it and carrying the connection
/// to act through, before anything is asked or done. A live token keeps its own connection unless -Connection names
/// another (then it is looked up again through that one); anything else is looked up by id. Whatever cannot be
/// found is a non-terminating error, with the token, id or name as its target.
/// <para>
/// Lookups are batched across records, so that a bulk run spends its requests on the changes: ids through the bulk
/// read (100 a request), literal names and leaked values in one query per batch. Batching never holds up the first
/// item, and a partial batch is sent as soon as a record arrives after <see cref="FlushDelay"/>, when a token or a
/// pattern must keep its place in the order, and at the end (<see cref="FlushAsync"/>).
/// </para>
/// </summary>
internal sealed class TargetResolver
{
    internal const int IdBatch = 100;
    internal const int NameBatch = 50;
    internal static readonly TimeSpan DefaultFlushDelay = TimeSpan.FromMilliseconds(150);

    /// <summary>
    /// How long a partial batch may wait for more records. Settable (tests only) because how many records arrive within
    /// it is the machine's speed: a test that counts requests chooses it instead. Read once by each resolver.
    /// </summary>
    internal static TimeSpan FlushDelay { get; set; } = DefaultFlushDelay;

    private readonly IPipelineChannel _channel;
    private readonly AtomSphereConnection? _explicit;
    private readonly Func<AtomSphereConnection> _connection;
    private readonly List<string> _ids = new();
    private readonly List<string> _names = new();
    private readonly List<SecureString> _values = new();
    private readonly Stopwatch _pendingSince = new();
    private readonly string _commandName;
    private readonly bool _ownerOnly;
    private readonly TimeSpan _flushDelay = FlushDelay;
    private bool _flushedOnce;

    /// <param name="channel">Where errors go.</param>
    /// <param name="explicitConnection">-Connection, if given.</param>
    /// <param name="connection">-Connection or the default; throws the terminating NotConnected when there is none.</param>
    /// <param name="commandName">The command, for advice that names it.</param>
    /// <param name="ownerOnly">The command acts only on the caller's own tokens whoever asks (rename).</param>
    public TargetResolver(IPipelineChannel channel, AtomSphereConnection? explicitConnection, Func<AtomSphereConnection> connection, string commandName, bool ownerOnly)
    {
        _commandName = commandName;
        _ownerOnly = ownerOnly;
        _channel = channel;
        _explicit = explicitConnection;
        _connection = connection;
    }

    /// <summary>How many items could not be resolved (each was one error).</summary>
    public int Failures { get; private set; }

    private int Pending => _ids.Count + _names.Count + _values.Count;

    /// <summary>This record's targets: the tokens ready now (batched lookups may come with a later record or the flush).</summary>
    public async Task<IReadOnlyList<ApiToken>> ResolveAsync(TargetRequest request, CancellationToken cancellationToken)
    {
        var ready = new List<ApiToken>();
        switch (request.ParameterSet)
        {
            case TargetSets.InputObject:
                await AddInputAsync(request.InputObject!, ready, cancellationToken).ConfigureAwait(false);
                break;
            case TargetSets.Id:
                foreach (string id in request.Ids)
                {
                    await EnqueueAsync(_ids, id, IdBatch, ready, cancellationToken).ConfigureAwait(false);
                }

                break;
            case TargetSets.Token:
                foreach (SecureString value in request.Values)
                {
                    await EnqueueAsync(_values, value, Api.AtomSphereClient.ValueBatchLimit, ready, cancellationToken).ConfigureAwait(false);
                }

                break;
            default:
                foreach (string name in request.Names)
                {
                    if (ApiTokenNames.IsPattern(name))
                    {
                        ready.AddRange(await FlushAsync(cancellationToken).ConfigureAwait(false));
                        ready.AddRange(await FromPatternAsync(name, cancellationToken).ConfigureAwait(false));
                    }
                    else
                    {
                        await EnqueueAsync(_names, ApiTokenNames.Literal(name), NameBatch, ready, cancellationToken).ConfigureAwait(false);
                    }
                }

                break;
        }

        // The first item goes at once (the first confirmation or result must not wait for more input); later a
        // partial batch goes once it has waited long enough.
        if (Pending > 0 && (!_flushedOnce || _pendingSince.Elapsed >= _flushDelay))
        {
            ready.AddRange(await FlushAsync(cancellationToken).ConfigureAwait(false));
        }

        return ready;
    }

    /// <summary>Looks up everything still batched.</summary>
    public async Task<IReadOnlyList<ApiToken>> FlushAsync(CancellationToken cancellationToken)
    {
        if (Pending == 0)
        {
            return Array.Empty<ApiToken>();
        }

        string[] ids = _ids.ToArray();
        string[] names = _names.ToArray();
        SecureString[] values = _values.ToArray();
        _ids.Clear();
        _names.Clear();
        _values.Clear();
        _pendingSince.Reset();
        _flushedOnce = true;

        if (await OpenConnectionAsync(ids.Concat(names).Concat(values.Select(_ => (string?)null))).ConfigureAwait(false) is not { } connection)
        {
            return Array.Empty<ApiToken>();
        }

        var found = new List<ApiToken>();
        found.AddRange(await FromIdsAsync(connection, ids, cancellationToken).ConfigureAwait(false));
        found.AddRange(await FromLiteralsAsync(connection, names, cancellationToken).ConfigureAwait(false));
        found.AddRange(await FromValuesAsync(connection, values, cancellationToken).ConfigureAwait(false));
        return found;
    }

    private async Task AddInputAsync(ApiToken input, List<ApiToken> ready, CancellationToken cancellationToken)
    {
        if (input.IsVerified && input.Status == ApiTokenStatus.Revoked)
        {
            // Remove-ApiToken -PassThru wrote it: no request can find it again.
            await FailAsync(ApiErrors.NotFound(input, $"API token {ApiTokenMapper.Describe(input)} was revoked.",
                "A revoked token is gone for good; create a new one with New-ApiToken.")).ConfigureAwait(false);
        }
        else if (input.IsVerified && (_explicit is null || ReferenceEquals(_explicit, input.Connection)))
        {
            ready.AddRange(await FlushAsync(cancellationToken).ConfigureAwait(false)); // keep the input's order
            if (input.Connection!.State != AtomSphereConnectionState.Open)
            {
                await FailAsync(ApiErrors.TokenConnectionClosed(input)).ConfigureAwait(false);
            }
            else
            {
                ready.Add(input);
            }
        }
        else if (input.Id.Length > 0)
        {
            await EnqueueAsync(_ids, input.Id, IdBatch, ready, cancellationToken).ConfigureAwait(false);
        }
        else if (input.Name.Length > 0)
        {
            // A name taken from an object is a literal, never a pattern.
            await EnqueueAsync(_names, input.Name, NameBatch, ready, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await FailAsync(ApiErrors.InvalidInput(input, "The input object has neither an Id nor a Name.")).ConfigureAwait(false);
        }
    }

    private async Task EnqueueAsync<T>(List<T> batch, T item, int limit, List<ApiToken> ready, CancellationToken cancellationToken)
    {
        if (Pending == 0)
        {
            _pendingSince.Restart();
        }

        batch.Add(item);
        if (batch.Count >= limit)
        {
            ready.AddRange(await FlushAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// The connection to look things up through, or null (with one error per target) when it was closed while the
    /// pipeline ran (Disconnect-AtomSphere elsewhere, -IncludeCurrentToken): those items fail alone.
    /// </summary>
    private async Task<AtomSphereConnection?> OpenConnectionAsync(IEnumerable<string?> targets)
    {
        AtomSphereConnection connection = _connection();
        if (connection.State == AtomSphereConnectionState.Open)
        {
            return connection;
        }

        foreach (string? target in targets)
        {
            await FailAsync(ApiErrors.ConnectionClosedMidRun(connection, target)).ConfigureAwait(false);
        }

        return null;
    }

    private async Task FailAsync(System.Management.Automation.ErrorRecord error)
    {
        Failures++;
        await _channel.WriteErrorAsync(error).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<ApiToken>> FromIdsAsync(AtomSphereConnection connection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new List<ApiToken>();
        if (ids.Count == 0)
        {
            return found;
        }

        Api.AtomSphereClient client = connection.Session.Client;
        if (ids.Count == 1)
        {
            try
            {
                found.Add(ApiTokenMapper.ToPublic(await client.GetTokenAsync(ids[0], cancellationToken).ConfigureAwait(false), connection));
            }
            catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
            {
                await FailAsync(ApiErrors.FromException(exception, ids[0], $"Could not find API token with id '{ids[0]}'", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
            }

            return found;
        }

        IReadOnlyList<Api.BulkItem> items;
        try
        {
            items = await client.BulkGetAsync(ids, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            foreach (string id in ids)
            {
                await FailAsync(ApiErrors.FromException(exception, id, $"Could not find API token with id '{id}'", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
            }

            return found;
        }

        foreach (Api.BulkItem item in items)
        {
            if (item.Token is { } token)
            {
                found.Add(ApiTokenMapper.ToPublic(token, connection));
            }
            else if (item.StatusCode == 404)
            {
                await FailAsync(ApiErrors.NotFound(item.Id, $"User {connection.UserId} can see no API token with id '{item.Id}'.", ApiErrors.UnseenAdvice(connection))).ConfigureAwait(false);
            }
            else
            {
                await FailAsync(ApiErrors.FromException(
                    new Api.ApiException(Api.ApiErrorKind.ServerError, item.ErrorMessage ?? $"The service answered {item.StatusCode} for it.", item.StatusCode),
                    item.Id, $"Could not find API token with id '{item.Id}'", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
            }
        }

        return found;
    }

    /// <summary>
    /// The caller's own tokens with these literal names, one query per batch: the service matches them (EQUALS). Which
    /// name a token answered is read with the service's fold only to say which names found nothing, and each such
    /// name is asked about alone before it is reported missing.
    /// </summary>
    private async Task<IReadOnlyList<ApiToken>> FromLiteralsAsync(AtomSphereConnection connection, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var found = new List<ApiToken>();
        foreach (string[] batch in Chunks(names.Distinct(StringComparer.Ordinal).ToArray(), NameBatch))
        {
            List<Api.ApiToken> tokens;
            try
            {
                tokens = await QueryAllAsync(connection, ApiTokenFilter.AllOf(
                    ApiTokenFilter.Equal(ApiTokenFilter.UserId, connection.UserId),
                    ApiTokenFilter.AnyEqual(ApiTokenFilter.Name, batch)), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
            {
                foreach (string name in batch)
                {
                    await FailAsync(ApiErrors.FromException(exception, name, $"Could not look up API tokens named '{name}'", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
                }

                continue;
            }

            found.AddRange(tokens.Select(t => ApiTokenMapper.ToPublic(t, connection)));
            foreach (string name in batch.Where(n => !tokens.Any(t => ApiTokenNames.AreEqual(n, t.Name))))
            {
                if (!await ExistsAsync(connection, name, cancellationToken).ConfigureAwait(false))
                {
                    await FailAsync(await NameNotFoundAsync(connection, name, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                }
            }
        }

        return found;
    }

    /// <summary>
    /// A name finds only the caller's own tokens. When other users hold it (visible to an administrator), the
    /// message says how many, and how to act on theirs, where this command may.
    /// </summary>
    private async Task<System.Management.Automation.ErrorRecord> NameNotFoundAsync(AtomSphereConnection connection, string name, CancellationToken cancellationToken)
    {
        string message = $"User {connection.UserId} has no API token named '{name}'.";
        long others = await OthersNamedAsync(connection, name, cancellationToken).ConfigureAwait(false);
        if (others == 0)
        {
            return ApiErrors.NotFound(name, message, null);
        }

        string users = others == 1 ? "1 other user does" : $"{others} other users do";
        string listing = $"Get-ApiToken -AllUsers -Name '{System.Management.Automation.Language.CodeGeneration.EscapeSingleQuotedStringContent(System.Management.Automation.WildcardPattern.Escape(name))}'";
        return ApiErrors.NotFound(name, $"User {connection.UserId} has no API token named '{name}'; {users}.", _ownerOnly
            ? "Only a token's owner can rename it."
            : $"-Name finds only your own tokens; to act on theirs, pipe them: {listing} | {_commandName}.");
    }

    /// <summary>How many other users' tokens the caller can see with this name (0 for a non-administrator; 0 when the lookup fails).</summary>
    internal static async Task<long> OthersNamedAsync(AtomSphereConnection connection, string name, CancellationToken cancellationToken)
    {
        if (connection.Session.IsAdministrator == false)
        {
            return 0; // nobody else's tokens are visible: no request can tell
        }

        try
        {
            Api.QueryPage page = await connection.Session.Client.QueryAsync(ApiTokenFilter.AllOf(
                Api.QueryExpression.Compare(ApiTokenFilter.UserId, "NOT_EQUALS", connection.UserId),
                ApiTokenFilter.Equal(ApiTokenFilter.Name, name)), cancellationToken).ConfigureAwait(false);

            // A user has at most one token with a name (the same key), so tokens are users.
            return page.NumberOfResults;
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            return 0;
        }
    }

    private async Task<bool> ExistsAsync(AtomSphereConnection connection, string name, CancellationToken cancellationToken)
    {
        try
        {
            Api.QueryPage page = await connection.Session.Client.QueryAsync(ApiTokenFilter.AllOf(
                ApiTokenFilter.Equal(ApiTokenFilter.UserId, connection.UserId),
                ApiTokenFilter.Equal(ApiTokenFilter.Name, name)), cancellationToken).ConfigureAwait(false);
            return page.Tokens.Count > 0;
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            return false;
        }
    }

    /// <summary>The caller's own tokens matching a pattern: narrowed by the service, confirmed by the same rules.</summary>
    private async Task<IReadOnlyList<ApiToken>> FromPatternAsync(string pattern, CancellationToken cancellationToken)
    {
        if (await OpenConnectionAsync(new[] { pattern }).ConfigureAwait(false) is not { } connection)
        {
            return Array.Empty<ApiToken>();
        }

        try
        {
            List<Api.ApiToken> tokens = await QueryAllAsync(connection, ApiTokenFilter.AllOf(
                ApiTokenFilter.Equal(ApiTokenFilter.UserId, connection.UserId),
                ApiTokenFilter.Text(ApiTokenFilter.Name, pattern)), cancellationToken).ConfigureAwait(false);
            return tokens.Where(t => ApiTokenNames.Matches(pattern, t.Name)).Select(t => ApiTokenMapper.ToPublic(t, connection)).ToArray();
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            await FailAsync(ApiErrors.FromException(exception, pattern, $"Could not look up API tokens named '{pattern}'", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
            return Array.Empty<ApiToken>();
        }
    }

    /// <summary>Leaked values, one query per batch; a batch that found fewer tokens than values asks per value which found nothing.</summary>
    private async Task<IReadOnlyList<ApiToken>> FromValuesAsync(AtomSphereConnection connection, IReadOnlyList<SecureString> values, CancellationToken cancellationToken)
    {
        var found = new List<ApiToken>();
        Api.AtomSphereClient client = connection.Session.Client;
        foreach (SecureString[] batch in Chunks(values.ToArray(), Api.AtomSphereClient.ValueBatchLimit))
        {
            IReadOnlyList<Api.ApiToken> tokens;
            try
            {
                tokens = batch.Length == 1
                    ? (await client.FindTokenByValueAsync(batch[0], cancellationToken).ConfigureAwait(false) is { } one ? new[] { one } : Array.Empty<Api.ApiToken>())
                    : await client.FindTokensByValuesAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
            {
                foreach (SecureString _ in batch)
                {
                    await FailAsync(ApiErrors.FromException(exception, null, "Could not look up the API token with the given value", situation: ErrorCase.Through(connection))).ConfigureAwait(false);
                }

                continue;
            }

            found.AddRange(tokens.Select(t => ApiTokenMapper.ToPublic(t, connection)));
            int distinct = tokens.Select(t => t.Id).Distinct(StringComparer.Ordinal).Count();
            if (distinct >= batch.Length)
            {
                continue;
            }

            for (int i = 0; i < batch.Length; i++)
            {
                bool exists;
                try
                {
                    exists = batch.Length == 1 || await client.FindTokenByValueAsync(batch[i], cancellationToken).ConfigureAwait(false) is not null;
                    exists &= batch.Length > 1 || tokens.Count > 0;
                }
                catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
                {
                    exists = false;
                }

                if (!exists)
                {
                    string which = batch.Length == 1 ? "the given value" : $"value {i + 1} of {batch.Length} in this batch";
                    await FailAsync(ApiErrors.NotFound(null, $"No API token that user {connection.UserId} can see has {which}.", ApiErrors.UnseenAdvice(connection))).ConfigureAwait(false);
                }
            }
        }

        return found;
    }

    private static async Task<List<Api.ApiToken>> QueryAllAsync(AtomSphereConnection connection, Api.QueryExpression? filter, CancellationToken cancellationToken)
    {
        Api.AtomSphereClient client = connection.Session.Client;
        var tokens = new List<Api.ApiToken>();
        for (Api.QueryPage? page = await client.QueryAsync(filter, cancellationToken).ConfigureAwait(false); page is not null; page = await client.NextPageAsync(page, cancellationToken).ConfigureAwait(false))
        {
            tokens.AddRange(page.Tokens);
        }

        return tokens;
    }

    private static IEnumerable<T[]> Chunks<T>(T[] items, int size)
    {
        for (int offset = 0; offset < items.Length; offset += size)
        {
            yield return items.Skip(offset).Take(size).ToArray();
        }
    }
}
