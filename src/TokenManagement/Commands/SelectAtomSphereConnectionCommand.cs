using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

/// <summary>Makes an open connection the default of this runspace again (after another Connect-AtomSphere or a Disconnect).</summary>
[Cmdlet(VerbsCommon.Select, "AtomSphereConnection", DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(AtomSphereConnection))]
public sealed class SelectAtomSphereConnectionCommand : PSCmdlet
{
    private const string ConnectionSet = "Connection";
    private const string IdSet = "Id";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ConnectionSet)]
    [ValidateNotNull]
    public AtomSphereConnection Connection { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = IdSet)]
    public int Id { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        ConnectionScope scope = ConnectionRegistry.Current;
        AtomSphereConnection? connection = ParameterSetName == IdSet ? scope.All.FirstOrDefault(c => c.Id == Id) : Connection;
        if (connection is null)
        {
            ThrowTerminatingError(ApiErrors.ConnectionNotFound(Id));
            return;
        }

        if (connection.State != AtomSphereConnectionState.Open)
        {
            ThrowTerminatingError(ApiErrors.NotConnected(connection));
            return;
        }

        scope.SetDefault(connection);
        WriteVerbose($"Connection {connection.Id} ({connection.UserId} @ {connection.AccountId}) is the default.");
        if (PassThru)
        {
            WriteObject(connection);
        }
    }
}
