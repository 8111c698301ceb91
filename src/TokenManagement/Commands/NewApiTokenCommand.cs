using System.Management.Automation;
using TokenManagement.Infrastructure;
using Api = TokenManagement.Client;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommon.New, "ApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CreatedApiToken))]
public sealed class NewApiTokenCommand : ApiTokenCommandBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [ApiTokenNameTransformation]
    public string Name { get; set; } = "";

    /// <summary>Write the value as a string instead of a SecureString.</summary>
    [Parameter]
    public SwitchParameter AsPlainText { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        string name = Name;
        AtomSphereConnection connection = CurrentConnection;
        if (ApiTokenNames.Validate(name) is { } problem)
        {
            await WriteErrorAsync(ApiErrors.InvalidName(name, problem)).ConfigureAwait(false);
            return;
        }

        if (!await ShouldProcessAsync($"'{name}' (user {connection.UserId})", "Create API token").ConfigureAwait(false))
        {
            return;
        }

        Api.CreatedApiToken created;
        try
        {
            created = await connection.Session.Client.CreateTokenAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (ApiErrors.IsFailure(exception, cancellationToken))
        {
            await WriteErrorAsync(ApiErrors.FromException(exception, name, $"Could not create API token '{name}'", nameRequest: true, new ErrorCase { Connection = connection, Change = true })).ConfigureAwait(false);
            return;
        }

        CreatedApiToken result = ApiTokenMapper.ToPublic(created, connection, AsPlainText);
        // True whether the output is displayed (the view shows the value), captured or piped on.
        QueueWarning($"Token {ApiTokenMapper.Describe(result)} created. Its value is in the Token property of this output and cannot be retrieved again: store it now.");
        await WriteObjectAsync(result).ConfigureAwait(false);
    }
}
