using System.Collections.Concurrent;

namespace TokenManagement.Server;

/// <summary>Per-account token bucket: a burst of one second's worth, refilled continuously.</summary>
public sealed class AccountRateLimiter
{
    private readonly double _perSecond;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public AccountRateLimiter(int perSecond, TimeProvider? time = null)
    {
        _perSecond = perSecond;
        _time = time ?? TimeProvider.System;
    }

    public bool Enabled => _perSecond > 0;

    /// <summary>Takes one request's permit; when none is left, returns the whole seconds to wait (at least 1).</summary>
    public bool TryAcquire(string accountId, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        if (!Enabled) { return true; }
        var bucket = _buckets.GetOrAdd(accountId, _ => new Bucket(_perSecond, _time.GetTimestamp()));
        lock (bucket)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(bucket.Stamp, now).TotalSeconds;
            bucket.Tokens = Math.Min(_perSecond, bucket.Tokens + elapsed * _perSecond);
            bucket.Stamp = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return true;
            }
            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((1 - bucket.Tokens) / _perSecond));
            return false;
        }
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens = tokens;
        public long Stamp = stamp;
    }
}
