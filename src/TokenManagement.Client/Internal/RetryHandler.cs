using System.Globalization;
using System.Net;

namespace TokenManagement.Client.Internal;

/// <summary>Everything the retry policy needs besides the request.</summary>
internal sealed class RetrySettings
{
    public int MaxRetries { get; set; } = AtomSphereClientOptions.DefaultMaxRetries;
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);
    public TimeSpan Budget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The first backoff step (doubled per retry, capped at <see cref="MaxBackoff"/>) when no Retry-After came.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(0.5);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The path every request shares, e.g. /api/rest/v1/acme-A1B2C3; records show what follows it.</summary>
    public string BasePath { get; set; } = "";

    /// <summary>The service's address, for messages.</summary>
    public Uri? Root { get; set; }
}

/// <summary>A per-request retry budget, shorter than the client's (connecting: fail fast).</summary>
internal static class RequestBudget
{
#if NET
    private static readonly HttpRequestOptionsKey<TimeSpan> Key = new("TokenManagement.RetryBudget");

    public static void Set(HttpRequestMessage request, TimeSpan budget) => request.Options.Set(Key, budget);

    public static TimeSpan? Get(HttpRequestMessage request) => request.Options.TryGetValue(Key, out var budget) ? budget : null;
#else
    private const string Key = "TokenManagement.RetryBudget";

    public static void Set(HttpRequestMessage request, TimeSpan budget) => request.Properties[Key] = budget;

    public static TimeSpan? Get(HttpRequestMessage request) => request.Properties.TryGetValue(Key, out var budget) && budget is TimeSpan value ? value : null;
#endif
}

/// <summary>
/// The client's one retry policy, for every operation:
/// <list type="bullet">
/// <item>each attempt waits for the client's rate limiter, then has its own timeout;</item>
/// <item>503 and 429 are retried (any request: a throttled request changed nothing), honouring Retry-After
/// (seconds or HTTP date), else exponential backoff with jitter;</item>
/// <item>a transport failure or a timed-out attempt is retried only for safe requests (GET, DELETE, POST query,
/// queryMore, bulk); for create/update it throws <see cref="OutcomeUnknownException"/> so the client reconciles;</item>
/// <item>a DELETE that answers 404 after an unanswered attempt counts as success (the first attempt deleted it);</item>
/// <item>bounded by MaxRetries and a total time budget; every attempt is reported as a <see cref="RequestRecord"/>.</item>
/// </list>
/// After the last attempt the last 503/429 response is returned (the client maps it); a last transport failure is
/// an <see cref="ApiException"/> of kind Unavailable. The caller's cancellation is an OperationCanceledException.
/// </summary>
internal sealed class RetryHandler : DelegatingHandler
{
    private static readonly object RandomGate = new();
    private static readonly Random SharedRandom = new();

    private readonly RetrySettings _settings;
    private readonly AdaptiveRateLimiter _limiter;
    private readonly CircuitBreaker _breaker;
    private readonly Func<Action<RequestRecord>?> _observer;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly Func<TimeSpan> _monotonic;
    private readonly Func<DateTimeOffset> _utcNow;

    public RetryHandler(
        RetrySettings settings,
        AdaptiveRateLimiter limiter,
        CircuitBreaker breaker,
        Func<Action<RequestRecord>?> observer,
        Func<TimeSpan, CancellationToken, Task> delay,
        Func<TimeSpan> monotonic,
        Func<DateTimeOffset> utcNow)
    {
        _settings = settings;
        _limiter = limiter;
        _breaker = breaker;
        _observer = observer;
        _delay = delay;
        _monotonic = monotonic;
        _utcNow = utcNow;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var method = request.Method.Method;
        var path = RecordPath(request);
        var safe = IsSafeToRepeat(request);
        var budget = RequestBudget.Get(request) ?? _settings.Budget;
        TimeSpan? started = null;
        var unanswered = false;
        var ownRetryAfterUntil = TimeSpan.MinValue; // so that the limiter does not hold us for a Retry-After we waited ourselves

        for (var attempt = 1; ; attempt++)
        {
            if (!_breaker.TryPass())
            {
                Report(method, path, null, TimeSpan.Zero, attempt, "not sent: " + BreakerState());
                throw Unreachable(attempt - 1);
            }

            var waited = await _limiter.WaitAsync(ownRetryAfterUntil, cancellationToken).ConfigureAwait(false);
            var limiterNote = waited > TimeSpan.FromMilliseconds(50)
                ? $"waited {Seconds(waited)} s for the client's rate limit"
                : null;

            // The budget runs from the first attempt (a place in the rate limiter's queue is not a retry), and each
            // attempt's timeout is cut to what is left of it, so that a call never outlasts its budget.
            started ??= _monotonic();
            var left = budget - (_monotonic() - started.Value);
            var attemptTimeout = _settings.AttemptTimeout > TimeSpan.Zero && _settings.AttemptTimeout != Timeout.InfiniteTimeSpan && _settings.AttemptTimeout < left
                ? _settings.AttemptTimeout
                : left;
            var cutByBudget = attemptTimeout < _settings.AttemptTimeout;

            var attemptStarted = _monotonic();
            HttpResponseMessage? response = null;
            Exception? failure = null;
            var timedOut = false;
            using (var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptCts.CancelAfter(attemptTimeout > TimeSpan.Zero ? attemptTimeout : TimeSpan.FromMilliseconds(1));
                try
                {
                    response = await base.SendAsync(request, attemptCts.Token).ConfigureAwait(false);
                    await BufferAsync(response, attemptCts.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (cancellationToken.IsCancellationRequested)
                {
                    response?.Dispose();
                    Report(method, path, null, _monotonic() - attemptStarted, attempt, Join(limiterNote, "cancelled"));
                    if (ex is OperationCanceledException)
                    {
                        throw;
                    }

                    throw new OperationCanceledException("The request was cancelled.", ex, cancellationToken);
                }
                catch (Exception ex) when (IsTransportFailure(ex, attemptCts.IsCancellationRequested))
                {
                    response?.Dispose();
                    response = null;
                    failure = ex;
                    timedOut = attemptCts.IsCancellationRequested;
                }
            }

            var elapsed = _monotonic() - attemptStarted;

            if (failure is not null)
            {
                _breaker.OnUnanswered();
                var reason = timedOut
                    ? $"no answer within {Seconds(attemptTimeout)} s{(cutByBudget ? " (what was left of the retry budget)" : "")}"
                    : "connection failed: " + failure.GetBaseException().Message;

                if (!safe)
                {
                    Report(method, path, null, elapsed, attempt, Join(limiterNote, $"{reason}; not sent again (the request may have been carried out): reading back to reconcile"));
                    throw new OutcomeUnknownException(reason, failure);
                }

                unanswered = true;
                var backoff = Backoff(attempt);
                var giveUp = GiveUpReason(attempt, started.Value, backoff, budget);
                if (giveUp is not null)
                {
                    Report(method, path, null, elapsed, attempt, Join(limiterNote, $"{reason}; {giveUp}"));
                    throw new ApiException(
                        ApiErrorKind.Unavailable,
                        timedOut
                            ? $"The service at {_settings.Root} did not answer within {Seconds(attemptTimeout)} s ({Attempts(attempt)}). Try again later, or allow a longer timeout (Connect-AtomSphere -TimeoutSec)."
                            : $"The service at {_settings.Root} could not be reached ({Attempts(attempt)}): {Sentence(failure.GetBaseException().Message)} Check the network connection and the URI, then try again.",
                        null,
                        null,
                        failure);
                }

                Report(method, path, null, elapsed, attempt, Join(limiterNote, $"{reason}; retrying in {Seconds(backoff)} s"), willRetry: true);
                if (!await DelayUnlessUnreachableAsync(backoff, cancellationToken).ConfigureAwait(false))
                {
                    throw Unreachable(attempt);
                }

                continue;
            }

            var status = (int)response!.StatusCode;
            if (status == 503 || status == 429)
            {
                var code = await ReadErrorCodeAsync(response).ConfigureAwait(false);
                var throttled = status == 429 || string.Equals(code, "RateLimited", StringComparison.Ordinal);
                var retryAfter = RetryAfter(response);
                var label = $"{status} {code ?? response.ReasonPhrase ?? "Service Unavailable"}";
                if (throttled)
                {
                    // Throttled: the service is up, and documents that the request changed nothing.
                    _breaker.OnAnswered();
                    ownRetryAfterUntil = _limiter.OnThrottled(retryAfter, attemptStarted);
                }
                else
                {
                    _breaker.OnUnanswered();
                    if (!safe)
                    {
                        // Only a throttled answer is documented as "changed nothing": reconcile like a lost answer.
                        Report(method, path, status, elapsed, attempt, Join(limiterNote, $"{label}; not sent again (the request may have been carried out): reading back to reconcile"));
                        response.Dispose();
                        throw new OutcomeUnknownException(label, null);
                    }
                }

                var delay = retryAfter ?? Backoff(attempt);
                var giveUp = GiveUpReason(attempt, started.Value, delay, budget);
                if (giveUp is not null)
                {
                    Report(method, path, status, elapsed, attempt, Join(limiterNote, $"{giveUp} ({label})"));
                    return response;
                }

                Report(method, path, status, elapsed, attempt, Join(limiterNote, $"retrying in {Seconds(delay)} s ({label})"), willRetry: true);
                response.Dispose();
                if (!await DelayUnlessUnreachableAsync(delay, cancellationToken).ConfigureAwait(false))
                {
                    throw Unreachable(attempt);
                }

                continue;
            }

            _breaker.OnAnswered();
            _limiter.OnAnswered();

            if (unanswered && status == 404 && request.Method == HttpMethod.Delete)
            {
                Report(method, path, status, elapsed, attempt, Join(limiterNote, "404 after an unanswered attempt: the earlier attempt's delete took effect; counted as success"));
                response.Dispose();
                return new HttpResponseMessage(HttpStatusCode.NoContent)
                {
                    RequestMessage = request,
                    Content = new ByteArrayContent(Array.Empty<byte>()),
                };
            }

            Report(method, path, status, elapsed, attempt, limiterNote);
            return response;
        }
    }

    /// <summary>Waits before a retry; false when the service has meanwhile been unreachable too long (the breaker opened).</summary>
    private async Task<bool> DelayUnlessUnreachableAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _breaker.Opened);
        try
        {
            await _delay(delay, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        return !_breaker.IsOpen;
    }

    private string BreakerState() =>
        _breaker.DownFor is { } down
            ? $"the service has not answered for {Seconds(down)} s"
            : "the service has not answered";

    private ApiException Unreachable(int attempts) =>
        new(
            ApiErrorKind.Unavailable,
            $"The service at {_settings.Root} has not answered for {Seconds(_breaker.DownFor ?? TimeSpan.Zero)} s ({Attempts(attempts)} for this request): "
            + $"requests now fail at once instead of waiting, and one is tried every {Seconds(CircuitBreaker.ProbeInterval)} s. "
            + "Check that the service is up and the URI is right, then run the command again for what is left.");

    private static string Sentence(string text) =>
        text.TrimEnd().EndsWith(".", StringComparison.Ordinal) ? text.TrimEnd() : text.TrimEnd() + ".";

    private static string Attempts(int count) => count == 1 ? "1 attempt" : $"{count} attempts";

    /// <summary>Safe to send again when an attempt got no answer: reads, and DELETE (a repeat answers 404).</summary>
    internal static bool IsSafeToRepeat(HttpRequestMessage request)
    {
        var method = request.Method;
        if (method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options || method == HttpMethod.Delete)
        {
            return true;
        }

        if (method == HttpMethod.Post && request.RequestUri is { } uri)
        {
            var path = uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString.Split('?')[0];
            var last = path.TrimEnd('/');
            last = last.Substring(last.LastIndexOf('/') + 1);
            return last == "query" || last == "queryMore" || last == "bulk";
        }

        return false;
    }

    /// <summary>Why no further attempt is made, or null: retries are used up, or waiting would leave too little of the budget for an attempt.</summary>
    private string? GiveUpReason(int attempt, TimeSpan started, TimeSpan nextDelay, TimeSpan budget)
    {
        if (attempt > _settings.MaxRetries)
        {
            return _settings.MaxRetries == 0 ? "not retried (no retries allowed)" : $"giving up after {Attempts(attempt)}";
        }

        var minimumAttempt = _settings.AttemptTimeout < MinimumAttempt ? _settings.AttemptTimeout : MinimumAttempt;
        if (_monotonic() - started + nextDelay + minimumAttempt > budget)
        {
            return $"giving up: waiting {Seconds(nextDelay)} s more would leave no time for another attempt within the retry budget of {Seconds(budget)} s";
        }

        return null;
    }

    /// <summary>An attempt shorter than this is not worth sending.</summary>
    private static readonly TimeSpan MinimumAttempt = TimeSpan.FromSeconds(1);

    private TimeSpan Backoff(int attempt)
    {
        var step = _settings.InitialBackoff.TotalSeconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(step, _settings.MaxBackoff.TotalSeconds);
        double random;
        lock (RandomGate)
        {
            random = SharedRandom.NextDouble();
        }

        // "Equal jitter": half fixed, half random, so that concurrent callers spread out but still back off.
        return TimeSpan.FromSeconds((capped / 2) + (random * capped / 2));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _utcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        if (response.Headers.TryGetValues("Retry-After", out var values))
        {
            foreach (var value in values)
            {
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && seconds < 86400)
                {
                    return TimeSpan.FromSeconds(seconds);
                }
            }
        }

        return null;
    }

    private static async Task<string?> ReadErrorCodeAsync(HttpResponseMessage response)
    {
        if (response.Content is null)
        {
            return null;
        }

        // Already buffered by BufferAsync: no network read here.
        var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return ApiJson.ReadError(bytes).Code;
    }

    /// <summary>Reads the whole body within the attempt's timeout, so a stalled body counts as a failed attempt.</summary>
    private static async Task BufferAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content is null)
        {
            return;
        }

        using (cancellationToken.Register(static state => ((HttpResponseMessage)state!).Dispose(), response))
        {
            await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private static bool IsTransportFailure(Exception ex, bool attemptCancelled) =>
        ex is HttpRequestException
        || ex is IOException
        || ex is System.Net.Sockets.SocketException
        || (attemptCancelled && (ex is OperationCanceledException || ex is ObjectDisposedException));

    private string RecordPath(HttpRequestMessage request)
    {
        var uri = request.RequestUri;
        if (uri is null)
        {
            return "/";
        }

        var path = uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString.Split('?')[0];
        var basePath = _settings.BasePath.TrimEnd('/');
        if (basePath.Length > 0 && path.StartsWith(basePath, StringComparison.Ordinal))
        {
            path = path.Substring(basePath.Length);
        }

        return path.StartsWith("/", StringComparison.Ordinal) ? path : "/" + path;
    }

    private void Report(string method, string path, int? status, TimeSpan elapsed, int attempt, string? note, bool willRetry = false)
    {
        var observer = _observer();
        if (observer is null)
        {
            return;
        }

        try
        {
            observer(new RequestRecord(method, path, status, elapsed, attempt, note, willRetry));
        }
#pragma warning disable CA1031 // An observer's fault must not change the outcome of the request.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : first + "; " + second;

    internal static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
}
