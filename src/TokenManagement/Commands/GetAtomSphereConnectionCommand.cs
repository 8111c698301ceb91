using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

/// <summary>This runspace's connections, open and closed; with -Id only those.</summary>
[Cmdlet(VerbsCommon.Get, "AtomSphereConnection")]
[OutputType(typeof(AtomSphereConnection))]
public sealed class GetAtomSphereConnectionCommand : PSCmdlet
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public int[]? Id { get; set; }

    protected override void EndProcessing()
    {
        IReadOnlyList<AtomSphereConnection> all = ConnectionRegistry.Current.All;
        if (Id is null)
        {
            WriteObject(all, enumerateCollection: true);
            return;
        }

        foreach (int id in Id)
        {
            if (all.FirstOrDefault(c => c.Id == id) is { } connection)
            {
                WriteObject(connection);
            }
            else
            {
                WriteError(ApiErrors.ConnectionNotFound(id));
            }
        }
    }
}
