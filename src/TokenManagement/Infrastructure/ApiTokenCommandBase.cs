using System.Management.Automation;
using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>
/// A cmdlet that talks to the service: -Connection, or the runspace's default connection. A closed -Connection is
/// the terminating error NotConnected in BeginProcessing; no connection at all is NotConnected when one is first
/// needed (a token piped from Get-ApiToken brings its own).
/// </summary>
public abstract class ApiTokenCommandBase : AsyncPSCmdlet
{
    private ConnectionScope? _scope;
    private AtomSphereConnection? _used;

    /// <summary>The connection to use; by default the runspace's default connection (Connect-AtomSphere).</summary>
    [Parameter]
    [ValidateNotNull]
    public AtomSphereConnection? Connection { get; set; }

    /// <summary>This runspace's connections (read on the pipeline thread in BeginProcessing).</summary>
    private protected ConnectionScope Scope => _scope ?? throw new InvalidOperationException("The scope is read in BeginProcessing.");

    /// <summary>
    /// -Connection, or the default one; the terminating NotConnected when there is none when first needed. Closed
    /// later (mid-pipeline), it is still returned: each item then fails on its own.
    /// </summary>
    private protected AtomSphereConnection CurrentConnection
    {
        get
        {
            if (_used is { } used)
            {
                return used;
            }

            AtomSphereConnection? connection = Connection ?? Scope.Default;
            if (connection is null || connection.State != AtomSphereConnectionState.Open)
            {
                throw new TerminatingErrorException(ApiErrors.NotConnected(connection));
            }

            return _used = connection;
        }
    }

    protected override void BeginProcessing()
    {
        _scope = ConnectionRegistry.Current;
        if (Connection is { State: not AtomSphereConnectionState.Open })
        {
            ThrowTerminatingError(ApiErrors.NotConnected(Connection));
            return;
        }

        base.BeginProcessing();
    }

    private protected override ErrorRecord? MapTerminatingError(Exception exception) =>
        exception is Api.ApiException api ? ApiErrors.FromApi(api, null, "The request failed", situation: ErrorCase.Through(_used)) : null;
}
