using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsLifecycle.Enable, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(ApiToken))]
public sealed class EnableApiTokenCommand : ApiTokenBulkCommandBase
{
    private protected override string ProgressActivity => "Enabling API tokens";

    private protected override string Verb => "enable";

    private protected override string DescribeAction(ApiToken token) => "Enable API token (it can authenticate again)";

    private protected override async Task<ApiToken> ApplyAsync(ApiToken token, CancellationToken cancellationToken) =>
        ApiTokenMapper.ToPublic(await Client.UpdateTokenAsync(
            token.Id, null, ApiTokenMapper.ToClient(ApiTokenStatus.Enabled), cancellationToken).ConfigureAwait(false));
}
