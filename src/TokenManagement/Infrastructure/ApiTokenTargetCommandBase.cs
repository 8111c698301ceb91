using System.Management.Automation;
using System.Security;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Rename-, Enable-, Disable- and Remove-ApiToken: the target parameter sets (InputObject, Id, Name; Remove adds
/// Token), resolving each target to a token before ShouldProcess, the ShouldProcess decision with -Force/-WhatIf,
/// the connection's own token (skipped, or with -Force done last) and one non-terminating error per failed item.
/// A derived cmdlet supplies only the action: its text and its request.
/// </summary>
public abstract class ApiTokenTargetCommandBase : ApiTokenCommandBase
{
    internal const string InputObjectSet = "InputObject";
    internal const string IdSet = "Id";
    internal const string NameSet = "Name";
    internal const string TokenSet = "Token";

    private readonly List<ApiToken> _ownTokenLast = new();

    /// <summary>The token, as Get-ApiToken writes it.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public ApiToken InputObject { get; set; } = null!;

    /// <summary>The token's id (also from a property named Id of piped objects, e.g. Import-Csv rows).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>The name of one of the caller's own tokens.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ApiTokenNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Write the token (after the change; for Remove, as it was before).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Whether -Name may hold * and ? (every match is processed); otherwise it is taken literally.</summary>
    private protected virtual bool NameIsPattern => true;

    private protected virtual bool ForceRequested => false;

    /// <summary>Disable and Remove: never to the connection's own token by accident.</summary>
    private protected virtual bool ProtectsOwnToken => false;

    /// <summary>The value for the Token parameter set (Remove-ApiToken only).</summary>
    private protected virtual SecureString? TokenValue => null;

    /// <summary>Whether the request's only input is a name, so that a 400 is about that name (rename).</summary>
    private protected virtual bool IsNameRequest => false;

    /// <summary>The verb in messages: "revoke", "disable", ...</summary>
    private protected abstract string Verb { get; }

    /// <summary>The ShouldProcess action text.</summary>
    private protected abstract string DescribeAction(ApiToken token);

    /// <summary>The request; returns the token to write with -PassThru.</summary>
    private protected abstract Task<ApiToken> ApplyAsync(ApiToken token, CancellationToken cancellationToken);

    /// <summary>How many requests may be in flight at once; 1 = each item finishes before the next starts.</summary>
    private protected virtual int MaxInFlight => 1;

    /// <summary>The progress activity of a bulk run, e.g. "Revoking API tokens".</summary>
    private protected virtual string ProgressActivity => $"Processing API tokens ({Verb})";

    private readonly List<Task> _inFlight = new();
    private SemaphoreSlim? _slots;
    private BulkProgress? _progress;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (ApiToken token in await ResolveTargetsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ProtectsOwnToken && Session.IsOwnToken(token.Id))
            {
                if (!ForceRequested)
                {
                    await WriteErrorAsync(ApiErrors.TokenInUse(token, Verb)).ConfigureAwait(false);
                }
                else if (!_ownTokenLast.Any(t => t.Id == token.Id))
                {
                    _ownTokenLast.Add(token);
                }

                continue;
            }

            await StartOneAsync(token, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        await DrainAsync().ConfigureAwait(false);
        foreach (ApiToken token in _ownTokenLast)
        {
            if (await StartOneAsync(token, cancellationToken).ConfigureAwait(false) is { } work && await work.ConfigureAwait(false))
            {
                ConnectionRegistry.Close(CurrentConnection);
                QueueWarning($"Connection {CurrentConnection.Id} used API token {ApiTokenMapper.Describe(token)} and is now closed. Run Connect-AtomSphere with another token.");
            }
        }

        _progress?.Complete();
    }

    /// <summary>
    /// Asks ShouldProcess (pipeline thread), then starts the request once one of -ThrottleLimit slots is free; results
    /// and errors are written as each request finishes. Returns the running request, or null when declined.
    /// </summary>
    private async Task<Task<bool>?> StartOneAsync(ApiToken token, CancellationToken cancellationToken)
    {
        string target = ApiTokenMapper.Describe(token);
        if (!await ShouldProcessAsync(target, DescribeAction(token), ForceRequested).ConfigureAwait(false))
        {
            return null;
        }

        _slots ??= new SemaphoreSlim(MaxInFlight, MaxInFlight);
        _progress ??= new BulkProgress(ProgressActivity, QueueProgress);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task<bool> work = ApplyOneAsync(token, target, cancellationToken);
        lock (_inFlight)
        {
            _inFlight.RemoveAll(t => t.IsCompleted);
            _inFlight.Add(work);
        }

        if (MaxInFlight == 1)
        {
            await work.ConfigureAwait(false);
        }

        return work;
    }

    /// <summary>Waits for every request still in flight (their writes are pumped meanwhile).</summary>
    private async Task DrainAsync()
    {
        Task[] running;
        lock (_inFlight)
        {
            running = _inFlight.ToArray();
            _inFlight.Clear();
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <returns>Whether the action was done.</returns>
    private async Task<bool> ApplyOneAsync(ApiToken token, string target, CancellationToken cancellationToken)
    {
        try
        {
            ApiToken result;
            try
            {
                result = await ApplyAsync(token, cancellationToken).ConfigureAwait(false);
            }
            catch (Api.ApiException exception)
            {
                _progress!.Failed();
                await WriteErrorAsync(ApiErrors.FromApi(exception, token, $"Could not {Verb} API token {target}", IsNameRequest)).ConfigureAwait(false);
                return false;
            }

            _progress!.Done();
            if (PassThru)
            {
                await WriteObjectAsync(result).ConfigureAwait(false);
            }

            return true;
        }
        finally
        {
            _slots!.Release();
        }
    }

    /// <summary>The tokens this record is about; each one that cannot be found is a non-terminating error.</summary>
    private async Task<IReadOnlyList<ApiToken>> ResolveTargetsAsync(CancellationToken cancellationToken)
    {
        switch (ParameterSetName)
        {
            case InputObjectSet:
                if (string.IsNullOrEmpty(InputObject.Id))
                {
                    await WriteErrorAsync(ApiErrors.NotFound(InputObject, $"The input token '{InputObject.Name}' has no Id.")).ConfigureAwait(false);
                    return Array.Empty<ApiToken>();
                }

                return new[] { InputObject };

            case IdSet:
                try
                {
                    Api.ApiToken token = await Client.GetTokenAsync(Id, cancellationToken).ConfigureAwait(false);
                    return new[] { ApiTokenMapper.ToPublic(token) };
                }
                catch (Api.ApiException exception)
                {
                    await WriteErrorAsync(ApiErrors.FromApi(exception, Id, $"Could not find API token with id '{Id}'")).ConfigureAwait(false);
                    return Array.Empty<ApiToken>();
                }

            case TokenSet:
                return await FindByValueAsync(cancellationToken).ConfigureAwait(false);

            default:
                return await FindOwnByNameAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<ApiToken>> FindByValueAsync(CancellationToken cancellationToken)
    {
        Api.ApiToken? token;
        try
        {
            token = await Client.FindTokenByValueAsync(TokenValue ?? new SecureString(), cancellationToken).ConfigureAwait(false);
        }
        catch (Api.ApiException exception)
        {
            await WriteErrorAsync(ApiErrors.FromApi(exception, null, "Could not look up the API token with the given value")).ConfigureAwait(false);
            return Array.Empty<ApiToken>();
        }

        if (token is null)
        {
            await WriteErrorAsync(ApiErrors.NotFound(null, $"No API token that user {Session.UserId} can see has the given value.")).ConfigureAwait(false);
            return Array.Empty<ApiToken>();
        }

        return new[] { ApiTokenMapper.ToPublic(token) };
    }

    private async Task<IReadOnlyList<ApiToken>> FindOwnByNameAsync(CancellationToken cancellationToken)
    {
        bool isPattern = NameIsPattern && ApiTokenFilter.HasWildcard(Name);
        Api.QueryExpression? filter = ApiTokenFilter.AllOf(
            ApiTokenFilter.Equal(ApiTokenFilter.UserId, Session.UserId),
            isPattern ? ApiTokenFilter.Text(ApiTokenFilter.Name, Name) : ApiTokenFilter.Equal(ApiTokenFilter.Name, Name));
        var found = new List<ApiToken>();
        try
        {
            for (Api.QueryPage? page = await Client.QueryAsync(filter, cancellationToken).ConfigureAwait(false); page is not null; page = await Client.NextPageAsync(page, cancellationToken).ConfigureAwait(false))
            {
                found.AddRange(page.Tokens
                    .Where(t => !isPattern || ApiTokenFilter.Matches(Name, t.Name))
                    .Select(ApiTokenMapper.ToPublic));
            }
        }
        catch (Api.ApiException exception)
        {
            await WriteErrorAsync(ApiErrors.FromApi(exception, Name, $"Could not look up API tokens named '{Name}'")).ConfigureAwait(false);
            return Array.Empty<ApiToken>();
        }

        if (found.Count == 0 && !isPattern)
        {
            await WriteErrorAsync(ApiErrors.NotFound(Name, $"User {Session.UserId} has no API token named '{Name}'.")).ConfigureAwait(false);
        }

        return found;
    }
}
