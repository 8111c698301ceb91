namespace TokenManagement.Client.Internal;

/// <summary>
/// Stops a client from waiting out every request's whole retry budget while the service stays unreachable. The
/// service is "down" from the first unanswered attempt (a connection failure, a timeout, 503 Unavailable) that
/// follows an answer; once it has been down longer than the tolerance, the breaker opens: requests fail at once
/// instead of retrying, and requests waiting to retry give up. While open, one request at a time is let through
/// as a probe every <see cref="ProbeInterval"/>; any answer closes the breaker.
/// </summary>
internal sealed class CircuitBreaker
{
    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly TimeSpan _tolerance;
    private readonly Func<TimeSpan> _now;
    private TimeSpan? _downSince;
    private TimeSpan _lastProbe;
    private CancellationTokenSource _opened = new();

    /// <param name="tolerance">How long the service may stay unreachable before requests stop waiting; zero or less: never.</param>
    /// <param name="now">A monotonic clock.</param>
    public CircuitBreaker(TimeSpan tolerance, Func<TimeSpan> now)
    {
        _tolerance = tolerance;
        _now = now;
    }

    /// <summary>Cancelled when the breaker opens: retry waits watch it.</summary>
    public CancellationToken Opened
    {
        get
        {
            lock (_gate)
            {
                return _opened.Token;
            }
        }
    }

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return _opened.IsCancellationRequested;
            }
        }
    }

    /// <summary>Since when (monotonic) the service has not answered; null while it answers.</summary>
    public TimeSpan? DownFor
    {
        get
        {
            lock (_gate)
            {
                return _downSince is { } since ? _now() - since : null;
            }
        }
    }

    /// <summary>Whether a request may go out now: always while closed; while open, only one probe per interval.</summary>
    public bool TryPass()
    {
        lock (_gate)
        {
            if (!_opened.IsCancellationRequested)
            {
                return true;
            }

            TimeSpan now = _now();
            if (now - _lastProbe < ProbeInterval)
            {
                return false;
            }

            _lastProbe = now;
            return true;
        }
    }

    /// <summary>An attempt got no usable answer.</summary>
    public void OnUnanswered()
    {
        CancellationTokenSource? open = null;
        lock (_gate)
        {
            TimeSpan now = _now();
            _downSince ??= now;
            if (_tolerance > TimeSpan.Zero && !_opened.IsCancellationRequested && now - _downSince.Value >= _tolerance)
            {
                open = _opened;
                _lastProbe = now;
            }
        }

        open?.Cancel(); // outside the lock: waiters' continuations run here
    }

    /// <summary>The service answered: it is up.</summary>
    public void OnAnswered()
    {
        lock (_gate)
        {
            _downSince = null;
            if (_opened.IsCancellationRequested)
            {
                _opened.Dispose();
                _opened = new CancellationTokenSource();
            }
        }
    }
}
