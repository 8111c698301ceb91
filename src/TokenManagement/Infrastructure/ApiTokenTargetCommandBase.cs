using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>
/// The parameters every target cmdlet (Rename, Enable, Disable, Remove) shares: -InputObject and -PassThru, and the
/// two parts it composes: the <see cref="TargetResolver"/> and a <see cref="TokenActionRun"/> of its own action.
/// </summary>
public abstract class ApiTokenTargetCommandBase : ApiTokenCommandBase
{
    private TargetResolver? _resolver;
    private TokenActionRun? _run;

    /// <summary>
    /// A token from Get-ApiToken (acted on through the connection it was read through), or any object with an Id
    /// (a hashtable, an Import-Csv row, a deserialized token), which is looked up first.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = TargetSets.InputObject)]
    [ValidateNotNull]
    [ApiTokenReferenceTransformation]
    public ApiToken InputObject { get; set; } = null!;

    /// <summary>Write the token as it is after the change (for Remove, with Status Revoked).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Whether the action is the owner's alone (a rename): another user's token is refused before any request.</summary>
    private protected virtual bool OwnerOnly => false;

    private protected TargetResolver Resolver => _resolver ??= new TargetResolver(this, Connection, () => CurrentConnection, MyInvocation.MyCommand.Name, OwnerOnly);

    /// <summary>This invocation's run of the cmdlet's action (created on first use, with the bound options).</summary>
    private protected TokenActionRun Run(TokenAction action, TokenActionOptions options)
    {
        options.PassThru = PassThru;
        return _run ??= new TokenActionRun(this, action, options, Scope);
    }

    /// <summary>What this record names, resolved to tokens (lookups are batched across records), then acted on.</summary>
    private protected async Task ProcessAsync(TokenActionRun run, TargetRequest request, CancellationToken cancellationToken) =>
        await run.ProcessAsync(await Resolver.ResolveAsync(request, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>EndProcessing: what is still batched, then the run's end (the rest of the work, the summary).</summary>
    private protected async Task CompleteAsync(TokenActionRun run, CancellationToken cancellationToken)
    {
        await run.ProcessAsync(await Resolver.FlushAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        await run.CompleteAsync(Resolver.Failures, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// Enable-, Disable-, Remove-ApiToken and Invoke-ApiTokenRotation: -Id and -Name take several tokens a record, and the
/// count of what was named on the command line (for progress).
/// </summary>
public abstract class ApiTokenMultiTargetCommandBase : ApiTokenTargetCommandBase
{
    /// <summary>The tokens' ids (also from a property named Id of piped objects, e.g. Import-Csv rows).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TargetSets.Id)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ApiTokenIdCompleter))]
    public string[] Id { get; set; } = Array.Empty<string>();

    /// <summary>Names (or wildcard patterns) of the caller's own tokens; strings piped in bind here.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = TargetSets.Name)]
    [ValidateNotNullOrEmpty]
    [ValidateWildcardPattern]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ApiTokenNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>
    /// How many tokens the command line names: an array given as an argument says it, a pattern or piped input does
    /// not. <paramref name="ownSetCount"/>: the length of the array a cmdlet's own parameter set bound (Remove-ApiToken
    /// -Token), which the cmdlet passes when that set is the one in use.
    /// </summary>
    private protected long? ExpectedTotal(int? ownSetCount = null)
    {
        if (MyInvocation.ExpectingInput)
        {
            return null;
        }

        return ParameterSetName switch
        {
            TargetSets.Id => Id.Length,
            TargetSets.Name => Name.Any(ApiTokenNames.IsPattern) ? null : Name.Length,
            _ => ownSetCount,
        };
    }
}

/// <summary>Enable-, Disable- and Remove-ApiToken: bulk from the pipeline, -ThrottleLimit and -Force.</summary>
public abstract class ApiTokenBulkCommandBase : ApiTokenMultiTargetCommandBase
{
    /// <summary>
    /// Measured (docs/performance.md): 1,000 revocations at 20 ms latency took 7.2 s at 4, 4.2 s at 8, 2.5 s at 16 and
    /// 1.7 s at 32 in flight; 16 keeps the platform's 10 requests/s busy up to 1.6 s of round trip.
    /// </summary>
    internal const int DefaultThrottleLimit = 16;

    /// <summary>How many requests may be in flight at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>Do not ask for confirmation (-WhatIf still only reports, an explicit -Confirm still asks).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>This record's targets, as the parameter set names them.</summary>
    private protected TargetRequest Targets(IReadOnlyList<System.Security.SecureString>? values = null) =>
        new(ParameterSetName, InputObject, Id, Name, values);

    private protected TokenActionOptions BulkOptions(bool includeCurrentToken = false, int? ownSetCount = null) =>
        new()
        {
            Force = Force,
            ThrottleLimit = ThrottleLimit,
            IncludeCurrentToken = includeCurrentToken,
            Summarize = true,
            ExpectedTotal = ExpectedTotal(ownSetCount),
        };
}
