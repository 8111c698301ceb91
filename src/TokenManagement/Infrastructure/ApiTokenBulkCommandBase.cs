using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Enable-, Disable- and Remove-ApiToken: bulk work from the pipeline, with up to -ThrottleLimit requests in flight
/// (the connection's rate limit still applies across them), and -Force.
/// </summary>
public abstract class ApiTokenBulkCommandBase : ApiTokenTargetCommandBase
{
    /// <summary>Measured with ./build.ps1 -Task Benchmark (docs/performance.md).</summary>
    internal const int DefaultThrottleLimit = 8;

    /// <summary>How many requests may be in flight at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>Do not ask for confirmation (-WhatIf still only reports).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override bool ForceRequested => Force;

    private protected override int MaxInFlight => ThrottleLimit;
}
