using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsLifecycle.Enable, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(ApiToken))]
public sealed class EnableApiTokenCommand : ApiTokenTargetCommandBase
{
    /// <summary>Do not ask for confirmation (-WhatIf still only reports).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override bool ForceRequested => Force;

    private protected override string Verb => "enable";

    private protected override string DescribeAction(ApiToken token) => "Enable API token (it can authenticate again)";

    private protected override async Task<ApiToken> ApplyAsync(ApiToken token, CancellationToken cancellationToken) =>
        ApiTokenMapper.ToPublic(await Client.UpdateTokenAsync(
            token.Id, null, ApiTokenMapper.ToClient(ApiTokenStatus.Enabled), cancellationToken).ConfigureAwait(false));
}
