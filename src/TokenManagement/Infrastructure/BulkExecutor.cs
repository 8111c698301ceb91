namespace TokenManagement.Infrastructure;

/// <summary>
/// Keeps up to N pieces of work in flight. Each piece writes its own outcome and is tracked by the cmdlet, so that
/// none ends unreported, however the pipeline ends. Starting waits for a free slot (and gives up when the pipeline
/// ends early); the work itself runs with the cmdlet's <see cref="IPipelineChannel.StopToken"/>, which only Ctrl+C
/// cancels.
/// </summary>
internal sealed class BulkExecutor
{
    private readonly IPipelineChannel _channel;
    private readonly int _maxInFlight;
    private readonly SemaphoreSlim _slots;
    private readonly List<Task<bool>> _inFlight = new();

    public BulkExecutor(IPipelineChannel channel, int maxInFlight)
    {
        _channel = channel;
        _maxInFlight = Math.Max(1, maxInFlight);
        _slots = new SemaphoreSlim(_maxInFlight, _maxInFlight);
    }

    /// <summary>
    /// Starts the work once a slot is free and returns it running (with one slot, returns it finished). The work's
    /// result says whether it did its action; an exception escaping it counts as not done (it must write its own error).
    /// </summary>
    public async Task<Task<bool>> StartAsync(Func<CancellationToken, Task<bool>> work, CancellationToken waitToken)
    {
        await _slots.WaitAsync(waitToken).ConfigureAwait(false);
        Task<bool> running = RunAsync(work);
        _channel.Track(running);
        lock (_inFlight)
        {
            _inFlight.RemoveAll(static t => t.IsCompleted);
            _inFlight.Add(running);
        }

        if (_maxInFlight == 1)
        {
            await running.ConfigureAwait(false);
        }

        return running;
    }

    /// <summary>Completes when every piece started so far has ended.</summary>
    public Task DrainAsync()
    {
        lock (_inFlight)
        {
            Task all = Task.WhenAll(_inFlight);
            _inFlight.Clear();
            return all;
        }
    }

    private async Task<bool> RunAsync(Func<CancellationToken, Task<bool>> work)
    {
        try
        {
            await Task.Yield(); // the caller goes on to the next item at once
            return await work(_channel.StopToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            return false; // cancelled by Ctrl+C (nothing can be written then), or a failed write of the outcome
        }
        finally
        {
            _slots.Release();
        }
    }
}
