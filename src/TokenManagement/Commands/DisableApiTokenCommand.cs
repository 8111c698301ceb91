using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsLifecycle.Disable, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = TargetSets.Name)]
[OutputType(typeof(ApiToken))]
public sealed class DisableApiTokenCommand : ApiTokenBulkCommandBase
{
    private static readonly TokenAction s_action = new(
        "disable",
        "disabled",
        "Disabling API tokens",
        _ => "Disable API token (it cannot authenticate until enabled)",
        (token, cancellationToken) => TokenStatusChange.ApplyAsync(token, ApiTokenStatus.Disabled, cancellationToken))
    {
        EndsConnections = true,
    };

    /// <summary>Also disable a token a connection of this session authenticates with (last; that connection then closes).</summary>
    [Parameter]
    public SwitchParameter IncludeCurrentToken { get; set; }

    private TokenActionRun Changes => Run(s_action, BulkOptions(IncludeCurrentToken));

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => ProcessAsync(Changes, Targets(), cancellationToken);

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => CompleteAsync(Changes, cancellationToken);
}
