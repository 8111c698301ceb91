using System.Management.Automation;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>
/// A cmdlet that talks to the service: -Connection, or the default connection; none (or a closed one) is the
/// terminating error NotConnected, raised in BeginProcessing before any request.
/// </summary>
public abstract class ApiTokenCommandBase : AsyncPSCmdlet
{
    private AtomSphereConnection? _connection;

    /// <summary>The connection to use; by default the newest open one (Connect-AtomSphere).</summary>
    [Parameter]
    [ValidateNotNull]
    public AtomSphereConnection? Connection { get; set; }

    private protected AtomSphereConnection CurrentConnection =>
        _connection ?? throw new InvalidOperationException("The connection is resolved in BeginProcessing.");

    private protected ConnectionSession Session => CurrentConnection.Session;

    private protected Api.AtomSphereClient Client => Session.Client;

    protected override void BeginProcessing()
    {
        AtomSphereConnection? connection = Connection ?? ConnectionRegistry.Default;
        if (connection is null || connection.State != AtomSphereConnectionState.Open)
        {
            ThrowTerminatingError(ApiErrors.NotConnected(connection));
            return;
        }

        _connection = connection;
        base.BeginProcessing();
    }

    private protected override ErrorRecord? MapTerminatingError(Exception exception) =>
        exception is Api.ApiException api ? ApiErrors.FromApi(api, null, "The request failed") : null;
}
