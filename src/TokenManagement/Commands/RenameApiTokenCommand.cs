using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommon.Rename, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = NameSet)]
[OutputType(typeof(ApiToken))]
public sealed class RenameApiTokenCommand : ApiTokenTargetCommandBase
{
    [Parameter(Mandatory = true, Position = 1)]
    [AllowEmptyString]
    public string NewName { get; set; } = "";

    private protected override bool NameIsPattern => false;

    private protected override bool IsNameRequest => true;

    private protected override string Verb => "rename";

    private protected override string DescribeAction(ApiToken token) => $"Rename API token to '{NewName}'";

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ApiTokenNames.Validate(NewName) is { } problem)
        {
            await WriteErrorAsync(ApiErrors.InvalidName(NewName, problem)).ConfigureAwait(false);
            return;
        }

        await base.ProcessRecordAsync(cancellationToken).ConfigureAwait(false);
    }

    private protected override async Task<ApiToken> ApplyAsync(ApiToken token, CancellationToken cancellationToken) =>
        ApiTokenMapper.ToPublic(await Client.UpdateTokenAsync(token.Id, NewName, null, cancellationToken).ConfigureAwait(false));
}
