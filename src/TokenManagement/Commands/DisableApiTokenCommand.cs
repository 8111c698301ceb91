using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsLifecycle.Disable, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(ApiToken))]
public sealed class DisableApiTokenCommand : ApiTokenBulkCommandBase
{
    private protected override bool ProtectsOwnToken => true;

    private protected override string ProgressActivity => "Disabling API tokens";

    private protected override string Verb => "disable";

    private protected override string DescribeAction(ApiToken token) => "Disable API token (it cannot authenticate until enabled)";

    private protected override async Task<ApiToken> ApplyAsync(ApiToken token, CancellationToken cancellationToken) =>
        ApiTokenMapper.ToPublic(await Client.UpdateTokenAsync(
            token.Id, null, ApiTokenMapper.ToClient(ApiTokenStatus.Disabled), cancellationToken).ConfigureAwait(false));
}
