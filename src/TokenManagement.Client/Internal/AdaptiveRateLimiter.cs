namespace TokenManagement.Client.Internal;

/// <summary>
/// The client-side request ceiling of one client, shared by all its concurrent calls.
/// <list type="bullet">
/// <item><b>Spacing</b>: a token bucket, as a generic cell rate algorithm: each request reserves the next free slot,
/// one per 1/rate seconds, and waits for it.</item>
/// <item><b>Cancellation</b>: reservations are explicit. A caller cancelled while it waits frees exactly its own slot:
/// later waiters keep theirs, and the next new caller takes the freed one (if it is still ahead). When the freed
/// slots are the last ones, the schedule simply ends earlier.</item>
/// <item><b>Retry-After</b>: nobody sends before the latest instant a throttled answer named, including callers already
/// waiting for a slot: a waiter that wakes re-checks its turn and waits again if it moved. Queued reservations are
/// moved behind that instant in their order, spaced at the lowered rate, so they do not arrive in a burst. Without a
/// Retry-After the schedule restarts one (lowered) interval after the answer.
/// With the ceiling off (requestsPerSecond 0) there is no spacing and no rate to lower, but a Retry-After still holds
/// every request, not only the one that was answered: the service said so, and the others would only be throttled
/// too.</item>
/// <item><b>Episodes</b>: the rate halves (down to a tenth) once per throttling episode. A throttled answer to a request
/// sent at or before the last decrease belongs to that decrease's episode: it was sent at the old rate, which is
/// already gone, so it does not lower the rate again (16 concurrent requests answered 503 RateLimited halve it once).
/// Only a request sent after the last decrease and still throttled starts a new episode.</item>
/// <item><b>Recovery</b>: each answered request wins back a twentieth of the configured rate.</item>
/// </list>
/// Thread-safe: all state is guarded by one lock, never held while waiting.
/// </summary>
internal sealed class AdaptiveRateLimiter
{
    internal const double MinimumFactor = 0.1;
    internal const double RecoveryStep = 0.05;

    private readonly object _gate = new();
    private readonly double _baseRate;
    private readonly Func<TimeSpan> _now;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;

    // Callers waiting for their slot, in slot order (OnThrottled moves them; a cancelled one leaves a gap).
    private readonly List<Reservation> _queued = new();

    // Slots freed by cancelled waiters, in order, for the next new callers.
    private readonly List<TimeSpan> _freed = new();

    private double _factor = 1;
    private TimeSpan _nextSlot;
    private TimeSpan _lastGranted = TimeSpan.MinValue;
    private TimeSpan _notBefore = TimeSpan.MinValue;
    private TimeSpan? _lastDecrease;

    /// <param name="requestsPerSecond">The ceiling; 0 or less switches spacing off (Retry-After is still honoured).</param>
    /// <param name="now">A monotonic clock (the one the caller's sent instants are read from).</param>
    /// <param name="delay">How to wait (Task.Delay; replaced in tests).</param>
    public AdaptiveRateLimiter(double requestsPerSecond, Func<TimeSpan> now, Func<TimeSpan, CancellationToken, Task> delay)
    {
        _baseRate = double.IsNaN(requestsPerSecond) || requestsPerSecond < 0 ? 0 : requestsPerSecond;
        _now = now;
        _delay = delay;
        _nextSlot = now();
    }

    /// <summary>Whether the ceiling is on (a Retry-After is honoured either way).</summary>
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

    /// <summary>Waits for this request's turn. Returns how long it waited.</summary>
    public Task<TimeSpan> WaitAsync(CancellationToken cancellationToken) => WaitAsync(TimeSpan.MinValue, cancellationToken);

    /// <summary>Waits for this request's turn. Returns how long it waited.</summary>
    /// <param name="waitedOutUntil">What <see cref="OnThrottled"/> returned for this request's previous attempt: the
    /// caller has already waited its own Retry-After, so that hold is not waited for twice.</param>
    /// <param name="cancellationToken">Cancels the wait; the reserved slot is given back.</param>
    public async Task<TimeSpan> WaitAsync(TimeSpan waitedOutUntil, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        Reservation? reservation = null;
        TimeSpan target;
        TimeSpan wait;
        lock (_gate)
        {
            var now = Max(_now(), waitedOutUntil);
            if (Enabled)
            {
                target = Reserve(now);
                if (target > now)
                {
                    reservation = new Reservation(target);
                    Insert(_queued, reservation);
                }
                else
                {
                    _lastGranted = Max(_lastGranted, target);
                }
            }
            else if (_notBefore > now)
            {
                target = _notBefore;
            }
            else
            {
                return TimeSpan.Zero;
            }

            wait = target - now;
        }

        var waited = TimeSpan.Zero;
        while (wait > TimeSpan.Zero)
        {
            try
            {
                await _delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (reservation is not null)
                {
                    lock (_gate)
                    {
                        Release(reservation);
                    }
                }

                throw;
            }

            waited += wait;
            lock (_gate)
            {
                // A throttled answer may have moved this turn while it slept: never send before it.
                var due = reservation is null ? _notBefore : Max(reservation.Slot, _notBefore);
                wait = due > target ? due - Max(_now(), target) : TimeSpan.Zero;
                if (wait <= TimeSpan.Zero && reservation is not null)
                {
                    _queued.Remove(reservation);
                    _lastGranted = Max(_lastGranted, reservation.Slot);
                }

                target = due;
            }
        }

        return waited;
    }

    /// <summary>
    /// The service throttled a request: hold everyone until its Retry-After, and slow down unless this episode
    /// already did.
    /// </summary>
    /// <param name="retryAfter">The answer's Retry-After, if any.</param>
    /// <param name="sentAt">When the throttled attempt was sent, on this limiter's clock.</param>
    /// <returns>Until when the throttled caller's own Retry-After wait keeps it away: pass it to its next
    /// <see cref="WaitAsync(TimeSpan, CancellationToken)"/>.</returns>
    public TimeSpan OnThrottled(TimeSpan? retryAfter, TimeSpan sentAt)
    {
        lock (_gate)
        {
            var now = _now();
            var ownWait = retryAfter is { } r && r > TimeSpan.Zero ? r : TimeSpan.Zero;
            if (Enabled)
            {
                // Sent at or before the last decrease: sent at a rate that is already gone.
                if (_lastDecrease is not { } decreased || sentAt > decreased)
                {
                    _factor = Math.Max(MinimumFactor, _factor / 2);
                    _lastDecrease = now;
                }

                var interval = Interval();
                HoldUntil(now + Max(ownWait, interval));
                Respace(interval);
            }
            else if (ownWait > TimeSpan.Zero)
            {
                HoldUntil(now + ownWait);
            }

            return now + ownWait;
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

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static void Insert(List<Reservation> list, Reservation reservation)
    {
        var i = list.Count;
        while (i > 0 && list[i - 1].Slot > reservation.Slot)
        {
            i--;
        }

        list.Insert(i, reservation);
    }

    private static void Insert(List<TimeSpan> list, TimeSpan slot)
    {
        var i = list.Count;
        while (i > 0 && list[i - 1] > slot)
        {
            i--;
        }

        list.Insert(i, slot);
    }

    /// <summary>The slot for a new caller: a freed one still ahead (already spaced from its neighbours), else the next.</summary>
    private TimeSpan Reserve(TimeSpan now)
    {
        var earliest = Max(now, _notBefore);

        // A freed slot already behind us is lost capacity: sending now instead could crowd the next reservation.
        while (_freed.Count > 0 && _freed[0] < earliest)
        {
            _freed.RemoveAt(0);
        }

        if (_freed.Count > 0)
        {
            var freed = _freed[0];
            _freed.RemoveAt(0);
            return freed;
        }

        var slot = Max(_nextSlot, earliest);
        _nextSlot = slot + Interval();
        return slot;
    }

    private void Release(Reservation reservation)
    {
        if (!_queued.Remove(reservation))
        {
            return;
        }

        Insert(_freed, reservation.Slot);

        // Freed slots after everything still reserved or sent are the schedule's tail: end the schedule there instead,
        // so that a caller who comes after them is not held behind empty slots.
        var last = _queued.Count > 0 ? Max(_queued[_queued.Count - 1].Slot, _lastGranted) : _lastGranted;
        while (_freed.Count > 0 && _freed[_freed.Count - 1] > last)
        {
            _nextSlot = _freed[_freed.Count - 1];
            _freed.RemoveAt(_freed.Count - 1);
        }
    }

    private void HoldUntil(TimeSpan instant)
    {
        if (_notBefore < instant)
        {
            _notBefore = instant;
        }
    }

    /// <summary>Moves queued reservations behind the hold, in their order, at the current interval; never earlier.</summary>
    private void Respace(TimeSpan interval)
    {
        TimeSpan? previous = null;
        foreach (var reservation in _queued)
        {
            var earliest = previous is { } p ? Max(_notBefore, p + interval) : _notBefore;
            if (reservation.Slot < earliest)
            {
                reservation.Slot = earliest;
            }

            previous = reservation.Slot;
        }

        // Freed slots were spaced for the old schedule, which has just been replaced.
        _freed.Clear();
        var end = previous is { } last ? last + interval : _notBefore;
        if (_nextSlot < end)
        {
            _nextSlot = end;
        }
    }

    /// <summary>One waiter's slot; only read or moved under the lock.</summary>
    private sealed class Reservation
    {
        public Reservation(TimeSpan slot)
        {
            Slot = slot;
        }

        public TimeSpan Slot { get; set; }
    }
}
