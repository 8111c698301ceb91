using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsLifecycle.Enable, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = TargetSets.Name)]
[OutputType(typeof(ApiToken))]
public sealed class EnableApiTokenCommand : ApiTokenBulkCommandBase
{
    private static readonly TokenAction s_action = new(
        "enable",
        "enabled",
        "Enabling API tokens",
        _ => "Enable API token (it can authenticate again)",
        (token, cancellationToken) => TokenStatusChange.ApplyAsync(token, ApiTokenStatus.Enabled, cancellationToken));

    private TokenActionRun Changes => Run(s_action, BulkOptions());

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => ProcessAsync(Changes, Targets(), cancellationToken);

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => CompleteAsync(Changes, cancellationToken);
}
