using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommunications.Disconnect, "AtomSphere")]
public sealed class DisconnectAtomSphereCommand : PSCmdlet
{
    /// <summary>The connection to close; by default the default connection.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public AtomSphereConnection? Connection { get; set; }

    protected override void ProcessRecord()
    {
        ConnectionScope scope = ConnectionRegistry.Current;
        AtomSphereConnection? connection = Connection ?? scope.Default;
        if (connection is null)
        {
            WriteVerbose("Not connected: there is no default connection to close.");
            return;
        }

        bool wasOpen = connection.State == AtomSphereConnectionState.Open;
        scope.Close(connection);
        WriteVerbose(wasOpen ? $"Closed connection {connection.Id}." : $"Connection {connection.Id} was already closed.");
    }
}
