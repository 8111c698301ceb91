using TokenManagement.Client.Internal;

namespace TokenManagement.Client.Tests;

/// <summary>
/// A clock the test moves by hand. Delays complete when the test moves the clock past them, on the test's own
/// thread and in order of their due time, so each step's outcome is fixed (no real sleeping, no wall time).
/// </summary>
internal sealed class ManualTime
{
    private readonly object _gate = new();
    private readonly List<(TimeSpan Due, TaskCompletionSource Done)> _timers = [];

    public TimeSpan Now { get; private set; }

    public List<TimeSpan> Waits { get; } = [];

    public Task Delay(TimeSpan wait, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();

        // Synchronous continuations on purpose: moving the clock runs the woken waiters to their next wait.
        var done = new TaskCompletionSource();
        lock (_gate)
        {
            Waits.Add(wait);
            _timers.Add((Now + wait, done));
        }

        ct.Register(() => done.TrySetCanceled(ct));
        return done.Task;
    }

    public void RunUntil(TimeSpan end)
    {
        while (true)
        {
            TaskCompletionSource? next = null;
            lock (_gate)
            {
                var index = -1;
                for (var i = 0; i < _timers.Count; i++)
                {
                    if (_timers[i].Due <= end && (index < 0 || _timers[i].Due < _timers[index].Due))
                    {
                        index = i;
                    }
                }

                if (index >= 0)
                {
                    next = _timers[index].Done;
                    if (_timers[index].Due > Now)
                    {
                        Now = _timers[index].Due;
                    }

                    _timers.RemoveAt(index);
                }
            }

            if (next is null)
            {
                break;
            }

            Inline(() => next.TrySetResult());
        }

        if (end > Now)
        {
            Now = end;
        }
    }

    public void RunUntil(double seconds) => RunUntil(TimeSpan.FromSeconds(seconds));

    /// <summary>Cancels with the woken waiter running to completion before this returns.</summary>
    public static void Cancel(CancellationTokenSource cts) => Inline(cts.Cancel);

    // The test framework's synchronization context would send continuations to other threads; without one they run
    // here, in order.
    private static void Inline(Action action)
    {
        var saved = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            action();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }
    }
}

public sealed class RateLimiterPolicyTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>Waits for a turn and says when (on the manual clock) the caller would have sent.</summary>
    private static async Task<TimeSpan> SendsAt(AdaptiveRateLimiter limiter, ManualTime time, CancellationToken ct = default)
    {
        await limiter.WaitAsync(ct).ConfigureAwait(false);
        return time.Now;
    }

    // ---- 1. Nobody sends before the service's Retry-After, including requests already queued ----

    [Fact]
    public async Task QueuedWaitersDoNotSendBeforeRetryAfterAndResumeAtTheLowerRate()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(10, () => time.Now, time.Delay);
        var first = SendsAt(limiter, time);
        var second = SendsAt(limiter, time); // reserved 0.1 s
        var third = SendsAt(limiter, time); // reserved 0.2 s

        time.RunUntil(0.05);
        limiter.OnThrottled(S(2), sentAt: S(0)); // the first request's answer
        time.RunUntil(10);

        Assert.Equal(S(0), await first);
        Assert.Equal(S(2.05), await second); // not at its old slot, inside the Retry-After window
        Assert.Equal(S(2.25), await third); // and not in a burst: spaced at the halved rate (5 a second)
    }

    [Fact]
    public async Task AWaiterHeldByRetryAfterWaitsAgainWhenALaterAnswerExtendsIt()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(10, () => time.Now, time.Delay);
        await SendsAt(limiter, time);

        limiter.OnThrottled(S(2), sentAt: S(0));
        var queued = SendsAt(limiter, time); // held until 2 s
        time.RunUntil(1);
        limiter.OnThrottled(S(3), sentAt: S(0)); // another answer of the same episode: the service now says 4 s
        time.RunUntil(10);

        Assert.Equal(S(4), await queued);
        Assert.Equal(5, limiter.CurrentRate, 6);
    }

    [Fact]
    public async Task WithTheCeilingOffRetryAfterStillHoldsEveryOtherRequest()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(0, () => time.Now, time.Delay);

        limiter.OnThrottled(S(3), sentAt: S(0));
        time.RunUntil(1);
        var other = SendsAt(limiter, time); // held until 3 s
        time.RunUntil(2);
        limiter.OnThrottled(S(5), sentAt: S(1.5)); // a second answer says 7 s: the waiter re-checks after waking at 3 s
        time.RunUntil(20);

        Assert.Equal(S(7), await other);
        Assert.Equal(0, limiter.CurrentRate); // still no ceiling
    }

    // ---- 2. The rate decreases once per throttling episode ----

    [Fact]
    public async Task SixteenThrottledAnswersInOneEpisodeHalveTheRateOnce()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(10, () => time.Now, time.Delay);
        var sent = Enumerable.Range(0, 16).Select(_ => SendsAt(limiter, time)).ToArray();
        time.RunUntil(1.5);
        var sentAt = await Task.WhenAll(sent);
        Assert.Equal(S(1.5), sentAt[15]);

        time.RunUntil(1.6); // all sixteen were answered 503 RateLimited
        foreach (var instant in sentAt)
        {
            limiter.OnThrottled(S(1), instant);
        }

        Assert.Equal(5, limiter.CurrentRate, 6);

        // The next request goes out after the hold, at the halved rate; throttled again, it is a new episode.
        var next = SendsAt(limiter, time);
        time.RunUntil(2.7);
        Assert.Equal(S(2.6), await next);
        limiter.OnThrottled(S(1), await next);
        Assert.Equal(2.5, limiter.CurrentRate, 6);

        // A late answer to a request of the first episode does not lower it again.
        limiter.OnThrottled(null, sentAt[3]);
        Assert.Equal(2.5, limiter.CurrentRate, 6);
    }

    [Fact]
    public async Task SixteenConcurrentRequestsThrottledTogetherHalveTheClientsRateOnce()
    {
        var arrived = 0;
        var allSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FakeHandler(async (_, _, _) =>
        {
            if (Interlocked.Increment(ref arrived) == 16)
            {
                allSent.TrySetResult();
            }

            await allSent.Task; // every request is on the wire before the first answer comes back
            return FakeHandler.Error(503, "RateLimited", "Too many requests.", new Dictionary<string, string> { ["Retry-After"] = "1" });
        });
        using var t = new TestClient(handler, o =>
        {
            o.RequestsPerSecond = 10;
            o.MaxRetries = 0;
        });

        var errors = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Record.ExceptionAsync(() => t.Client.GetAccountAsync(default))));

        Assert.All(errors, e => Assert.IsType<ApiException>(e));
        Assert.Equal(16, handler.Sent.Count);
        Assert.Equal(5, t.Client.RateLimiter.CurrentRate, 6);
    }

    // ---- The throttled request itself: its own Retry-After wait (in RetryHandler) is not doubled ----

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(10, 1.2)] // after the throttled request's own retry at 1 s, at the halved rate
    public async Task TheThrottledRequestIsNotHeldAgainForTheRetryAfterItWaitedItself(double requestsPerSecond, double otherSendsAt)
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(requestsPerSecond, () => time.Now, time.Delay);
        await SendsAt(limiter, time);

        var waitedOutUntil = limiter.OnThrottled(S(1), sentAt: S(0));

        // RetryHandler waits the Retry-After itself (here the clock does not move for it) and says so.
        Assert.Equal(S(1), waitedOutUntil);
        Assert.Equal(TimeSpan.Zero, await limiter.WaitAsync(waitedOutUntil, default));
        Assert.Empty(time.Waits);

        // Everyone else is held until then.
        var other = SendsAt(limiter, time);
        time.RunUntil(5);
        Assert.Equal(S(otherSendsAt), await other);
    }

    [Fact]
    public async Task WithTheCeilingOffAThrottledAnswerWithoutRetryAfterHoldsNobody()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(0, () => time.Now, time.Delay);

        limiter.OnThrottled(null, sentAt: S(0));

        Assert.Equal(TimeSpan.Zero, await limiter.WaitAsync(default));
        Assert.Empty(time.Waits);
    }

    // ---- 3. A cancelled waiter frees its own slot ----

    [Fact]
    public async Task ACancelledWaiterFreesItsOwnSlotAndTheNextCallerGetsIt()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(10, () => time.Now, time.Delay);
        await SendsAt(limiter, time); // 0 s
        using var cts = new CancellationTokenSource();
        var a = SendsAt(limiter, time); // 0.1 s
        var b = SendsAt(limiter, time, cts.Token); // 0.2 s
        var c = SendsAt(limiter, time); // 0.3 s

        time.RunUntil(0.05);
        ManualTime.Cancel(cts);
        var d = SendsAt(limiter, time); // takes b's slot
        var e = SendsAt(limiter, time); // after c
        time.RunUntil(10);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        Assert.Equal(S(0.1), await a);
        Assert.Equal(S(0.3), await c); // not moved
        Assert.Equal(S(0.2), await d);
        Assert.Equal(S(0.4), await e);
    }

    [Fact]
    public async Task CancellingTheLastWaiterEndsTheScheduleEarlier()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(10, () => time.Now, time.Delay);
        await SendsAt(limiter, time); // 0 s
        using var cts = new CancellationTokenSource();
        var a = SendsAt(limiter, time); // 0.1 s
        var b = SendsAt(limiter, time, cts.Token); // 0.2 s

        time.RunUntil(0.05);
        ManualTime.Cancel(cts);
        time.RunUntil(0.25);
        var c = SendsAt(limiter, time); // b's slot has passed; a sent at 0.1, so now is fine

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        Assert.Equal(S(0.1), await a);
        Assert.Equal(S(0.25), await c);
    }

    [Fact]
    public async Task AWaiterCancelledAfterBeingMovedFreesItsNewSlot()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(10, () => time.Now, time.Delay);
        await SendsAt(limiter, time); // 0 s
        using var cts = new CancellationTokenSource();
        var a = SendsAt(limiter, time); // 0.1 s
        var b = SendsAt(limiter, time, cts.Token); // 0.2 s
        var c = SendsAt(limiter, time); // 0.3 s
        limiter.OnThrottled(S(1), sentAt: S(0)); // moved to 1, 1.2, 1.4 (5 a second)

        time.RunUntil(0.5);
        ManualTime.Cancel(cts);
        var d = SendsAt(limiter, time);
        time.RunUntil(10);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        Assert.Equal(S(1), await a);
        Assert.Equal(S(1.4), await c);
        Assert.Equal(S(1.2), await d);
    }

    [Fact]
    public async Task AWaiterHeldByRetryAfterWithTheCeilingOffCanBeCancelled()
    {
        var time = new ManualTime();
        var limiter = new AdaptiveRateLimiter(0, () => time.Now, time.Delay);
        limiter.OnThrottled(S(30), sentAt: S(0));
        using var cts = new CancellationTokenSource();

        var held = SendsAt(limiter, time, cts.Token);
        ManualTime.Cancel(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
    }

    [Fact]
    public async Task ConcurrentCallersGetDistinctSlotsSpacedByTheInterval()
    {
        // The clock stands still and delays complete at once: each caller's wait is exactly its slot.
        var limiter = new AdaptiveRateLimiter(10, () => TimeSpan.Zero, (_, _) => Task.CompletedTask);

        var waits = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => limiter.WaitAsync(default))));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => TimeSpan.FromTicks(i * TimeSpan.TicksPerSecond / 10)), waits.Order());
    }
}
