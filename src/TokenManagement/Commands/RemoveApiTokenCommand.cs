using System.Management.Automation;
using System.Security;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommon.Remove, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = TargetSets.Name)]
[Alias("Revoke-ApiToken")]
[OutputType(typeof(ApiToken))]
public sealed class RemoveApiTokenCommand : ApiTokenBulkCommandBase
{
    private static readonly TokenAction s_action = new(
        "revoke",
        "revoked",
        "Revoking API tokens",
        _ => "Revoke API token (permanent: replace it wherever it is used)",
        async (token, cancellationToken) =>
        {
            await token.Connection!.Session.Client.RevokeTokenAsync(token.Id, cancellationToken).ConfigureAwait(false);
            return ApiTokenMapper.Revoked(token);
        })
    {
        EndsConnections = true,
    };

    /// <summary>The tokens that have these values (e.g. leaked ones); values piped in bind here, and are looked up in batches.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = TargetSets.Token)]
    [ValidateNotNullOrEmpty]
    public SecureString[] Token { get; set; } = Array.Empty<SecureString>();

    /// <summary>Also revoke a token a connection of this session authenticates with (last; that connection then closes).</summary>
    [Parameter]
    public SwitchParameter IncludeCurrentToken { get; set; }

    private TokenActionRun Revocations => Run(s_action, BulkOptions(IncludeCurrentToken, ParameterSetName == TargetSets.Token ? Token.Length : null));

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        ProcessAsync(Revocations, Targets(ParameterSetName == TargetSets.Token ? Token : null), cancellationToken);

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => CompleteAsync(Revocations, cancellationToken);
}
