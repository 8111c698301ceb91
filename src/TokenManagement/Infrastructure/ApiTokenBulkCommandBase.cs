using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Enable-, Disable- and Remove-ApiToken: bulk work from the pipeline, with up to -ThrottleLimit requests in flight
/// (the connection's rate limit still applies across them), and -Force.
/// </summary>
public abstract class ApiTokenBulkCommandBase : ApiTokenTargetCommandBase
{
    /// <summary>
    /// Measured (docs/performance.md): 1,000 revocations at 20 ms latency took 7.2 s at 4, 4.2 s at 8, 2.5 s at 16 and
    /// 1.7 s at 32 in flight; 16 keeps the platform's 10 requests/s busy up to 1.6 s of round trip.
    /// </summary>
    internal const int DefaultThrottleLimit = 16;

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
