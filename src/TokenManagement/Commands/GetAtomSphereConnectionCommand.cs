using System.Management.Automation;
using TokenManagement.Infrastructure;

namespace TokenManagement.Commands;

[Cmdlet(VerbsCommon.Get, "AtomSphereConnection")]
[OutputType(typeof(AtomSphereConnection))]
public sealed class GetAtomSphereConnectionCommand : PSCmdlet
{
    protected override void EndProcessing() => WriteObject(ConnectionRegistry.All, enumerateCollection: true);
}
