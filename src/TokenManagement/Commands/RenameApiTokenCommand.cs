using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommon.Rename, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = TargetSets.Name)]
[OutputType(typeof(ApiToken))]
public sealed class RenameApiTokenCommand : ApiTokenTargetCommandBase
{
    /// <summary>The token's id (also from a property named Id of piped objects).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TargetSets.Id)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ApiTokenIdCompleter))]
    public string Id { get; set; } = "";

    /// <summary>The exact name of one of the caller's own tokens (no wildcards: one token gets one new name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = TargetSets.Name)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ApiTokenLiteralNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [AllowEmptyString]
    public string NewName { get; set; } = "";

    /// <summary>The service lets only the owner rename a token, administrators included.</summary>
    private protected override bool OwnerOnly => true;

    private TokenActionRun Renames => Run(
        new TokenAction(
            "rename",
            "renamed",
            "Renaming API tokens",
            _ => $"Rename API token to '{NewName}'",
            async (token, cancellationToken) =>
            {
                AtomSphereConnection connection = token.Connection!;
                return ApiTokenMapper.ToPublic(
                    await connection.Session.Client.UpdateTokenAsync(token.Id, NewName, null, cancellationToken).ConfigureAwait(false), connection);
            })
        {
            IsNameRequest = true,
        },
        new TokenActionOptions());

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ApiTokenNames.Validate(NewName) is { } problem)
        {
            await WriteErrorAsync(ApiErrors.InvalidName(NewName, problem)).ConfigureAwait(false);
            return;
        }

        // -Name is a literal: escaped so that the resolver never reads it as a pattern.
        await ProcessAsync(Renames, new TargetRequest(ParameterSetName, InputObject, new[] { Id }, new[] { WildcardPattern.Escape(Name) }), cancellationToken).ConfigureAwait(false);
    }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => CompleteAsync(Renames, cancellationToken);
}
