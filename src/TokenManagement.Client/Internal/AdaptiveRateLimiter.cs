namespace TokenManagement.Client.Internal;

/// <summary>
/// The client-side request ceiling of one client, shared by all its concurrent calls: a token bucket
/// (as a generic cell rate algorithm: each request reserves the next free slot, one per 1/rate seconds).
/// When the service throttles, the rate halves (down to a tenth) and nobody sends before the service's
/// Retry-After; each answered request then wins back a twentieth of the configured rate.
/// </summary>
internal sealed class AdaptiveRateLimiter
{
    internal const double MinimumFactor = 0.1;
    internal const double RecoveryStep = 0.05;

    private readonly object _gate = new();
    private readonly double _baseRate;
    private readonly Func<TimeSpan> _now;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private double _factor = 1;
    private TimeSpan _nextSlot;

    /// <param name="requestsPerSecond">The ceiling; 0 or less switches the limiter off.</param>
    /// <param name="now">A monotonic clock.</param>
    /// <param name="delay">How to wait (Task.Delay; replaced in tests).</param>
    public AdaptiveRateLimiter(double requestsPerSecond, Func<TimeSpan> now, Func<TimeSpan, CancellationToken, Task> delay)
    {
        _baseRate = double.IsNaN(requestsPerSecond) || requestsPerSecond < 0 ? 0 : requestsPerSecond;
        _now = now;
        _delay = delay;
        _nextSlot = now();
    }

    public bool Enabled => _baseRate > 0;

    /// <summary>The ceiling now, after slowing down for throttling (requests per second; 0 = off).</summary>
    public double CurrentRate
    {
        get
        {
            lock (_gate)
            {
                return _baseRate * _factor;
            }
        }
    }

    /// <summary>Waits for this request's slot. Returns how long it waited.</summary>
    public async Task<TimeSpan> WaitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!Enabled)
        {
            return TimeSpan.Zero;
        }

        TimeSpan wait;
        TimeSpan interval;
        lock (_gate)
        {
            var now = _now();
            interval = Interval();
            var slot = _nextSlot > now ? _nextSlot : now;
            _nextSlot = slot + interval;
            wait = slot - now;
        }

        if (wait <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        try
        {
            await _delay(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Give the unused slot back so that a cancelled caller does not slow the others down.
            lock (_gate)
            {
                var now = _now();
                _nextSlot = _nextSlot - interval > now ? _nextSlot - interval : now;
            }

            throw;
        }

        return wait;
    }

    /// <summary>The service throttled a request: slow down, and send nothing before its Retry-After.</summary>
    public void OnThrottled(TimeSpan? retryAfter)
    {
        if (!Enabled)
        {
            return;
        }

        lock (_gate)
        {
            _factor = Math.Max(MinimumFactor, _factor / 2);
            var now = _now();
            var earliest = now + (retryAfter is { } r && r > TimeSpan.Zero ? r : Interval());
            if (_nextSlot < earliest)
            {
                _nextSlot = earliest;
            }
        }
    }

    /// <summary>The service answered without throttling: recover towards the configured rate.</summary>
    public void OnAnswered()
    {
        if (!Enabled)
        {
            return;
        }

        lock (_gate)
        {
            if (_factor < 1)
            {
                _factor = Math.Min(1, _factor + RecoveryStep);
            }
        }
    }

    private TimeSpan Interval() => TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerSecond / (_baseRate * _factor)));
}
