using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsLifecycle.Invoke, "ApiTokenRotation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = TargetSets.Name)]
[OutputType(typeof(CreatedApiToken), typeof(ApiToken))]
public sealed class InvokeApiTokenRotationCommand : ApiTokenMultiTargetCommandBase
{
    private TokenRotation? _rotation;

    /// <summary>Puts the replacement where its consumers read it: param($new), $new.Token a SecureString.</summary>
    [Parameter]
    [ValidateNotNull]
    public ScriptBlock? Store { get; set; }

    /// <summary>The replacement's name (default: the old token's name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary>How long the old token stays disabled before it is revoked: a TimeSpan, or a number of seconds.</summary>
    [Parameter]
    [GracePeriodTransformation]
    [ValidateGracePeriod]
    public TimeSpan GracePeriod { get; set; } = TimeSpan.Zero;

    /// <summary>Leave the old token disabled (renamed out of the way) for a later Remove-ApiToken, instead of revoking it.</summary>
    [Parameter]
    public SwitchParameter KeepOld { get; set; }

    /// <summary>Also rotate a token a connection of this session authenticates with; the connection goes on with the replacement.</summary>
    [Parameter]
    public SwitchParameter IncludeCurrentToken { get; set; }

    private TokenRotation Rotation => _rotation ??= new TokenRotation(this, Scope, new TokenRotationOptions
    {
        NewName = NewName,
        GracePeriod = GracePeriod,
        KeepOld = KeepOld,
        IncludeCurrentToken = IncludeCurrentToken,
        Store = Store is { } store ? created => InvokeStoreAsync(store, created) : null,
        Verbose = QueueVerbose,
    })
    {
        Total = ExpectedTotal(),
    };

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (NewName is not null && ApiTokenNames.Validate(NewName) is { } problem)
        {
            throw new TerminatingErrorException(ApiErrors.InvalidName(NewName, problem));
        }

        await WriteAsync(await Rotation.RotateAsync(
            await Resolver.ResolveAsync(new TargetRequest(ParameterSetName, InputObject, Id, Name), cancellationToken).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        await WriteAsync(await Rotation.RotateAsync(await Resolver.FlushAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        Rotation.Complete(Resolver.Failures);
    }

    /// <summary>How long Ctrl+C waits for the running rotation to say what it left (a rollback is one request).</summary>
    private static readonly TimeSpan StopReportWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Ctrl+C: the pipeline takes no more output, so what the running rotation left (which token is live, which
    /// disabled) is shown on the host once the rotation has rolled back or stopped.
    /// </summary>
    protected override void StopProcessing()
    {
        base.StopProcessing();
        if (_rotation?.StopReport is { } report && report.Wait(StopReportWait) && report.Result is { } message)
        {
            try
            {
                Host?.UI?.WriteWarningLine(message);
            }
            catch (Exception)
            {
                // A host that cannot show it: the warning was queued too.
            }
        }
    }

    /// <summary>With -Store and -PassThru: the replacements, without their values (without -Store they were written in step 3).</summary>
    private async Task WriteAsync(IReadOnlyList<ApiToken> replacements)
    {
        if (Store is null || !PassThru)
        {
            return;
        }

        foreach (ApiToken replacement in replacements)
        {
            await WriteObjectAsync(replacement).ConfigureAwait(false);
        }
    }

    /// <summary>The user's -Store on the pipeline thread; an error it writes fails the step like one it throws.</summary>
    private Task<bool> InvokeStoreAsync(ScriptBlock store, CreatedApiToken created) =>
        InvokeOnPipelineThreadAsync(() =>
        {
            store.InvokeWithContext(null, new List<PSVariable> { new("ErrorActionPreference", ActionPreference.Stop) }, created);
            return true;
        });
}
