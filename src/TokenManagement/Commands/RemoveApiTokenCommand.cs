using System.Management.Automation;
using System.Security;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommon.Remove, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = NameSet)]
[Alias("Revoke-ApiToken")]
[OutputType(typeof(ApiToken))]
public sealed class RemoveApiTokenCommand : ApiTokenBulkCommandBase
{
    /// <summary>The token that has this value (e.g. a leaked one).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TokenSet)]
    [ValidateNotNull]
    public SecureString Token { get; set; } = null!;

    private protected override bool ProtectsOwnToken => true;

    private protected override SecureString? TokenValue => Token;

    private protected override string ProgressActivity => "Revoking API tokens";

    private protected override string Verb => "revoke";

    private protected override string DescribeAction(ApiToken token) => "Revoke API token (permanent: replace it wherever it is used)";

    private protected override async Task<ApiToken> ApplyAsync(ApiToken token, CancellationToken cancellationToken)
    {
        await Client.RevokeTokenAsync(token.Id, cancellationToken).ConfigureAwait(false);
        return token;
    }
}
