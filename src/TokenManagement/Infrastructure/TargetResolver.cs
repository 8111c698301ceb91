using System.Security;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>What one pipeline record of a target cmdlet names: the parameter set and its values.</summary>
internal sealed class TargetRequest
{
    public TargetRequest(string parameterSet, ApiToken? inputObject, IReadOnlyList<string>? ids, IReadOnlyList<string>? names, SecureString? value = null)
    {
        ParameterSet = parameterSet;
        InputObject = inputObject;
        Ids = ids ?? Array.Empty<string>();
        Names = names ?? Array.Empty<string>();
        Value = value;
    }

    public string ParameterSet { get; }
    public ApiToken? InputObject { get; }
    public IReadOnlyList<string> Ids { get; }
    public IReadOnlyList<string> Names { get; }
    public SecureString? Value { get; }
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
/// Turns what a record names into the real tokens, each as the service describes it and carrying the connection to
/// act through, before anything is asked or done. A live token keeps its own connection unless -Connection names
/// another (then it is looked up again through that one); anything else is looked up by id. Whatever cannot be
/// found is a non-terminating error, with the token, id or name as its target.
/// </summary>
internal sealed class TargetResolver
{
    private readonly IPipelineChannel _channel;
    private readonly AtomSphereConnection? _explicit;
    private readonly Func<AtomSphereConnection> _connection;

    /// <param name="channel">Where errors go.</param>
    /// <param name="explicitConnection">-Connection, if given.</param>
    /// <param name="connection">-Connection or the default; throws the terminating NotConnected when there is none.</param>
    public TargetResolver(IPipelineChannel channel, AtomSphereConnection? explicitConnection, Func<AtomSphereConnection> connection)
    {
        _channel = channel;
        _explicit = explicitConnection;
        _connection = connection;
    }

    public Task<IReadOnlyList<ApiToken>> ResolveAsync(TargetRequest request, CancellationToken cancellationToken) =>
        request.ParameterSet switch
        {
            TargetSets.InputObject => FromInputAsync(request.InputObject!, cancellationToken),
            TargetSets.Id => FromIdsAsync(request.Ids, cancellationToken),
            TargetSets.Token => FromValueAsync(request.Value!, cancellationToken),
            _ => FromNamesAsync(request.Names, patterns: true, cancellationToken),
        };

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
            await _channel.WriteErrorAsync(ApiErrors.ConnectionClosedMidRun(connection, target)).ConfigureAwait(false);
        }

        return null;
    }

    private async Task<IReadOnlyList<ApiToken>> FromInputAsync(ApiToken input, CancellationToken cancellationToken)
    {
        if (input.IsVerified && (_explicit is null || ReferenceEquals(_explicit, input.Connection)))
        {
            if (input.Connection!.State != AtomSphereConnectionState.Open)
            {
                await _channel.WriteErrorAsync(ApiErrors.TokenConnectionClosed(input)).ConfigureAwait(false);
                return Array.Empty<ApiToken>();
            }

            return new[] { input };
        }

        if (input.Id.Length > 0)
        {
            return await FromIdsAsync(new[] { input.Id }, cancellationToken).ConfigureAwait(false);
        }

        if (input.Name.Length > 0)
        {
            // A name taken from an object is a literal, never a pattern.
            return await FromNamesAsync(new[] { input.Name }, patterns: false, cancellationToken).ConfigureAwait(false);
        }

        await _channel.WriteErrorAsync(ApiErrors.InvalidInput(input, "The input object has neither an Id nor a Name.")).ConfigureAwait(false);
        return Array.Empty<ApiToken>();
    }

    private async Task<IReadOnlyList<ApiToken>> FromIdsAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new List<ApiToken>();
        if (await OpenConnectionAsync(ids).ConfigureAwait(false) is not { } connection)
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
                await _channel.WriteErrorAsync(ApiErrors.FromException(exception, ids[0], $"Could not find API token with id '{ids[0]}'")).ConfigureAwait(false);
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
                await _channel.WriteErrorAsync(ApiErrors.FromException(exception, id, $"Could not find API token with id '{id}'")).ConfigureAwait(false);
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
                await _channel.WriteErrorAsync(ApiErrors.NotFound(item.Id, $"User {connection.UserId} can see no API token with id '{item.Id}'.")).ConfigureAwait(false);
            }
            else
            {
                await _channel.WriteErrorAsync(ApiErrors.FromException(
                    new Api.ApiException(Api.ApiErrorKind.ServerError, item.ErrorMessage ?? $"The service answered {item.StatusCode} for it.", item.StatusCode),
                    item.Id, $"Could not find API token with id '{item.Id}'")).ConfigureAwait(false);
            }
        }

        return found;
    }

    /// <summary>The caller's own tokens with these names: literals matched by the service, patterns confirmed by the same rules.</summary>
    private async Task<IReadOnlyList<ApiToken>> FromNamesAsync(IReadOnlyList<string> names, bool patterns, CancellationToken cancellationToken)
    {
        var found = new List<ApiToken>();
        if (await OpenConnectionAsync(names).ConfigureAwait(false) is not { } connection)
        {
            return found;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            bool isPattern = patterns && ApiTokenNames.IsPattern(name);
            Api.QueryExpression? filter = ApiTokenFilter.AllOf(
                ApiTokenFilter.Equal(ApiTokenFilter.UserId, connection.UserId),
                isPattern
                    ? ApiTokenFilter.Text(ApiTokenFilter.Name, name)
                    : ApiTokenFilter.Equal(ApiTokenFilter.Name, patterns ? ApiTokenNames.Literal(name) : name));
            int matched = 0;
            try
            {
                Api.AtomSphereClient client = connection.Session.Client;
                for (Api.QueryPage? page = await client.QueryAsync(filter, cancellationToken).ConfigureAwait(false); page is not null; page = await client.NextPageAsync(page, cancellationToken).ConfigureAwait(false))
                {
                    foreach (Api.ApiToken token in page.Tokens)
                    {
                        if (isPattern && !ApiTokenNames.Matches(name, token.Name))
                        {
                            continue;
                        }

                        matched++;
                        if (seen.Add(token.Id))
                        {
                            found.Add(ApiTokenMapper.ToPublic(token, connection));
                        }
                    }
                }
            }
            catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
            {
                await _channel.WriteErrorAsync(ApiErrors.FromException(exception, name, $"Could not look up API tokens named '{name}'")).ConfigureAwait(false);
                continue;
            }

            if (matched == 0 && !isPattern)
            {
                await _channel.WriteErrorAsync(ApiErrors.NotFound(name, $"User {connection.UserId} has no API token named '{name}'.")).ConfigureAwait(false);
            }
        }

        return found;
    }

    private async Task<IReadOnlyList<ApiToken>> FromValueAsync(SecureString value, CancellationToken cancellationToken)
    {
        if (await OpenConnectionAsync(new string?[] { null }).ConfigureAwait(false) is not { } connection)
        {
            return Array.Empty<ApiToken>();
        }

        Api.ApiToken? token;
        try
        {
            token = await connection.Session.Client.FindTokenByValueAsync(value, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            await _channel.WriteErrorAsync(ApiErrors.FromException(exception, null, "Could not look up the API token with the given value")).ConfigureAwait(false);
            return Array.Empty<ApiToken>();
        }

        if (token is null)
        {
            await _channel.WriteErrorAsync(ApiErrors.NotFound(null, $"No API token that user {connection.UserId} can see has the given value.")).ConfigureAwait(false);
            return Array.Empty<ApiToken>();
        }

        return new[] { ApiTokenMapper.ToPublic(token, connection) };
    }
}
