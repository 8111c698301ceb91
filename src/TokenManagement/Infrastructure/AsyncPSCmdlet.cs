using System.Collections.Concurrent;
using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>What the parts a cmdlet composes (target resolution, bulk work) may do with the cmdlet, from any thread.</summary>
internal interface IPipelineChannel
{
    /// <summary>Cancelled only by Ctrl+C (StopProcessing) or a Dispose that gave up waiting: the token for requests that change things.</summary>
    CancellationToken StopToken { get; }

    Task WriteObjectAsync(object? sendToPipeline);

    Task WriteErrorAsync(ErrorRecord errorRecord);

    /// <summary>The ShouldProcess decision (-WhatIf, -Confirm, -Force); see <see cref="AsyncPSCmdlet.ShouldProcessAsync(string, string, bool)"/>.</summary>
    Task<bool> ShouldProcessAsync(string target, string action, bool force);

    void QueueWarning(string message);

    void QueueProgress(ProgressRecord progressRecord);

    /// <summary>A line for the user on the information stream, shown like Write-Host (6>$null silences it, -InformationVariable captures it).</summary>
    void QueueInformation(string message);

    /// <summary>Work that outlives the block that started it: awaited, and its writes pumped, before the cmdlet ends.</summary>
    void Track(Task work);

    /// <summary>Told (from any thread) when one of this cmdlet's requests is about to be retried, with why.</summary>
    Action<string>? RetryObserver { get; set; }
}

/// <summary>
/// The one async base cmdlet. Each of BeginProcessing, ProcessRecord and EndProcessing runs its async body on the
/// thread pool while the pipeline thread pumps a queue of actions (WriteObject, WriteError, WriteVerbose,
/// WriteWarning, WriteProgress, ShouldProcess) until that body has completed. PowerShell is only ever called on the
/// pipeline thread.
/// <para>
/// Two cancellations. The body's token is cancelled when the pipeline ends this command early (a downstream
/// Select-Object -First, -ErrorAction Stop, an upstream command that failed): nothing new starts, no prompt is
/// shown. <see cref="StopToken"/> is cancelled only by Ctrl+C (StopProcessing): requests in flight are cancelled
/// too. A request already sent when the pipeline ends early is not abandoned: it is tracked (<see cref="Track"/>),
/// and Dispose, which PowerShell calls however the pipeline ended, waits for it and writes its outcome (bounded:
/// after <see cref="DisposeGrace"/> it cancels and waits a little more).
/// </para>
/// <para>
/// Terminating errors thrown by a body (<see cref="TerminatingErrorException"/>, or an exception the derived class
/// maps in <see cref="MapTerminatingError"/>) surface as ThrowTerminatingError on the pipeline thread.
/// </para>
/// </summary>
public abstract class AsyncPSCmdlet : PSCmdlet, IDisposable, IPipelineChannel
{
    /// <summary>How long Dispose waits for tracked work before it cancels it.</summary>
    internal static readonly TimeSpan DisposeGrace = TimeSpan.FromSeconds(30);

    /// <summary>How long Dispose waits for cancelled work to end.</summary>
    internal static readonly TimeSpan DisposeCancelWait = TimeSpan.FromSeconds(5);

    // The cmdlet whose body is running in this async flow: where the client's request records go (-Verbose).
    private static readonly AsyncLocal<AsyncPSCmdlet?> s_current = new();

    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _halt;
    private readonly BlockingCollection<object> _queue = new();
    private readonly List<Task> _tracked = new();
    private bool? _whatIf;
    private bool _confirm;

    protected AsyncPSCmdlet()
    {
        _halt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
    }

    /// <summary>Cancelled by Ctrl+C (StopProcessing) only: for requests whose outcome must be known.</summary>
    protected CancellationToken StopToken => _stop.Token;

    /// <summary>Whether -WhatIf (or $WhatIfPreference) is in force; read on the pipeline thread in BeginProcessing.</summary>
    protected bool WhatIfRequested => _whatIf ?? false;

    /// <summary>Whether -Confirm was given explicitly (then it asks, whatever -Force says).</summary>
    protected bool ConfirmRequested => _confirm;

    /// <summary>The cmdlet whose async body runs in the current async flow, if any.</summary>
    internal static AsyncPSCmdlet? Current => s_current.Value;

    protected override void BeginProcessing()
    {
        _whatIf = ReadWhatIf();
        _confirm = MyInvocation.BoundParameters.TryGetValue("Confirm", out object? confirm) && LanguagePrimitives.IsTrue(confirm);
        RunBlock(BeginProcessingAsync);
    }

    protected override void ProcessRecord() => RunBlock(ProcessRecordAsync);

    protected override void EndProcessing() => RunBlock(EndProcessingAsync);

    protected override void StopProcessing() => Cancel();

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Turns an exception that escaped a body into a terminating error; null lets it propagate as it is.</summary>
    private protected virtual ErrorRecord? MapTerminatingError(Exception exception) => null;

    // ---- what a body calls (any thread) ----

    /// <summary>WriteObject on the pipeline thread; completes once the object has gone downstream.</summary>
    protected Task WriteObjectAsync(object? sendToPipeline, bool enumerateCollection = false)
    {
        var done = NewCompletion<bool>();
        Post(() =>
        {
            Complete(done, () =>
            {
                WriteObject(sendToPipeline, enumerateCollection);
                return true;
            });
        });
        return AwaitCompletion(done, _stop.Token);
    }

    /// <summary>WriteError (non-terminating) on the pipeline thread; completes once written.</summary>
    protected Task WriteErrorAsync(ErrorRecord errorRecord)
    {
        var done = NewCompletion<bool>();
        Post(() =>
        {
            Complete(done, () =>
            {
                WriteError(errorRecord);
                return true;
            });
        });
        return AwaitCompletion(done, _stop.Token);
    }

    /// <summary>ShouldProcess(target, action) on the pipeline thread (it may prompt); never once the pipeline ends early.</summary>
    protected Task<bool> ShouldProcessAsync(string target, string action)
    {
        var done = NewCompletion<bool>();
        Post(() => Complete(done, () => ShouldProcess(target, action)));
        return AwaitCompletion(done, _halt.Token);
    }

    /// <summary>
    /// The ShouldProcess decision with -Force: -WhatIf always reports (and declines); an explicit -Confirm always
    /// asks; otherwise -Force proceeds without asking; otherwise ShouldProcess decides ($ConfirmPreference).
    /// </summary>
    protected Task<bool> ShouldProcessAsync(string target, string action, bool force)
    {
        if (force && !WhatIfRequested && !ConfirmRequested)
        {
            return Task.FromResult(true);
        }

        return ShouldProcessAsync(target, action);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the pipeline thread (e.g. a user's script block) and completes with its
    /// result or its exception; unlike a write, a failure is the caller's to handle and does not end the command.
    /// </summary>
    protected Task<T> InvokeOnPipelineThreadAsync<T>(Func<T> action)
    {
        var done = NewCompletion<T>();
        Post(() =>
        {
            if (done.Task.IsCompleted)
            {
                return;
            }

            try
            {
                done.TrySetResult(action());
            }
            catch (PipelineStoppedException stopped) when (stopped.GetType() == typeof(PipelineStoppedException))
            {
                // Ctrl+C reached the action first: PowerShell stops the innermost pipeline (the user's script block)
                // before it calls this cmdlet's StopProcessing. The stop is the same one, so it is taken as Ctrl+C now:
                // what runs next (a rollback) must know it was stopped, whichever of the two comes first.
                // (A derived type, a downstream Select-Object -First, is not a stop of this pipeline.)
                Cancel();
                done.TrySetCanceled(_stop.Token);
            }
            catch (Exception exception)
            {
                done.TrySetException(exception);
            }
        });
        return AwaitCompletion(done, _stop.Token);
    }

    protected void QueueVerbose(string message) => TryPost(() => WriteVerbose(message));

    protected void QueueWarning(string message) => TryPost(() => WriteWarning(message));

    protected void QueueProgress(ProgressRecord progressRecord) => TryPost(() => WriteProgress(progressRecord));

    CancellationToken IPipelineChannel.StopToken => _stop.Token;

    Task IPipelineChannel.WriteObjectAsync(object? sendToPipeline) => WriteObjectAsync(sendToPipeline);

    Task IPipelineChannel.WriteErrorAsync(ErrorRecord errorRecord) => WriteErrorAsync(errorRecord);

    Task<bool> IPipelineChannel.ShouldProcessAsync(string target, string action, bool force) => ShouldProcessAsync(target, action, force);

    void IPipelineChannel.QueueWarning(string message) => QueueWarning(message);

    void IPipelineChannel.QueueProgress(ProgressRecord progressRecord) => QueueProgress(progressRecord);

    void IPipelineChannel.QueueInformation(string message) =>
        TryPost(() => WriteInformation(new HostInformationMessage { Message = message }, new[] { "PSHOST" }));

    void IPipelineChannel.Track(Task work) => Track(work);

    private protected void Track(Task work)
    {
        lock (_tracked)
        {
            _tracked.RemoveAll(static t => t.IsCompleted);
            _tracked.Add(work);
        }
    }

    /// <summary>For observers called from any thread (the client's request records): never throws.</summary>
    internal void TryQueueVerbose(string message) => TryPost(() => WriteVerbose(message));

    /// <inheritdoc cref="IPipelineChannel.RetryObserver"/>
    internal Action<string>? RetryObserver { get; set; }

    Action<string>? IPipelineChannel.RetryObserver
    {
        get => RetryObserver;
        set => RetryObserver = value;
    }

    // ---- the pump (pipeline thread) ----

    private void RunBlock(Func<CancellationToken, Task> body)
    {
        if (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        Task block = Task.Run(() => RunBodyAsync(body));
        Track(block);
        // The marker is queued only once the block has completed, so the pump never blocks on the task itself.
        // (The exception is observed here too: a body abandoned by a stop ends with one nobody awaits.)
        block.ContinueWith(
            static (task, state) =>
            {
                _ = task.Exception;
                ((AsyncPSCmdlet)state!).TryAdd(task);
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        Pump(block);

        try
        {
            block.GetAwaiter().GetResult(); // completed: rethrows the body's exception, if any
        }
        catch (OperationCanceledException) when (_halt.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (TerminatingErrorException terminating)
        {
            ThrowTerminatingError(terminating.ErrorRecord);
        }
        catch (Exception exception) when (exception is not PipelineStoppedException && MapTerminatingError(exception) is { } record)
        {
            ThrowTerminatingError(record);
        }
    }

    private async Task RunBodyAsync(Func<CancellationToken, Task> body)
    {
        s_current.Value = this;
        await body(_halt.Token).ConfigureAwait(false);
    }

    private void Pump(Task block)
    {
        while (true)
        {
            object item;
            try
            {
                item = _queue.Take(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopped: leave the cancelled body to finish in the background.
                throw new PipelineStoppedException();
            }

            if (item is Task completed)
            {
                if (ReferenceEquals(completed, block))
                {
                    return;
                }

                continue;
            }

            try
            {
                ((Action)item)();
            }
            catch (Exception)
            {
                // The pipeline is ending this command (downstream Select-Object -First, -ErrorAction Stop, a
                // prompt answered with Suspend...): nothing new starts; requests already sent finish in Dispose.
                Halt();
                throw;
            }
        }
    }

    private void Post(Action action)
    {
        try
        {
            _queue.Add(action);
        }
        catch (InvalidOperationException)
        {
            // The cmdlet has ended (CompleteAdding or disposed): whatever is still running was abandoned.
            throw new OperationCanceledException(_stop.Token);
        }
    }

    private void TryPost(Action action) => TryAdd(action);

    private void TryAdd(object item)
    {
        try
        {
            _queue.Add(item);
        }
        catch (InvalidOperationException)
        {
            // Ended: nothing can be written any more.
        }
    }

    private static TaskCompletionSource<T> NewCompletion<T>() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously); // never run the body's continuation on the pipeline thread

    private static void Complete<T>(TaskCompletionSource<T> completion, Func<T> action)
    {
        if (completion.Task.IsCompleted)
        {
            return; // given up on (a prompt once the pipeline ended early): not shown
        }

        try
        {
            completion.TrySetResult(action());
        }
        catch (Exception)
        {
            completion.TrySetCanceled();
            throw;
        }
    }

    private static async Task<T> AwaitCompletion<T>(TaskCompletionSource<T> completion, CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(static state => ((TaskCompletionSource<T>)state!).TrySetCanceled(), completion))
        {
            return await completion.Task.ConfigureAwait(false);
        }
    }

    private void Halt()
    {
        try
        {
            _halt.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (AggregateException)
        {
        }
    }

    private void Cancel()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (AggregateException)
        {
            // A cancellation callback failed; the token is cancelled all the same.
        }
    }

    private bool ReadWhatIf()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? bound))
        {
            return bound is SwitchParameter switchParameter ? switchParameter.IsPresent : LanguagePrimitives.IsTrue(bound);
        }

        try
        {
            return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
        }
        catch (Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// However the pipeline ended, every tracked piece of work ends here and its outcome is written: after an upstream
    /// failure or an early end the pipeline thread pumps their writes (PowerShell still takes them in Dispose) for up
    /// to <see cref="DisposeGrace"/>; then, or at once after Ctrl+C, what is left is cancelled and waited for a
    /// little more.
    /// </summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        Halt();
        Task pending;
        lock (_tracked)
        {
            pending = Task.WhenAll(_tracked);
        }

        if (!pending.IsCompleted && !_stop.IsCancellationRequested)
        {
            PumpUntil(pending, DisposeGrace);
        }

        Cancel();
        if (!pending.IsCompleted)
        {
            PumpUntil(pending, DisposeCancelWait);
        }

        _queue.CompleteAdding();
        if (pending.IsCompleted)
        {
            _queue.Dispose();
            _halt.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>Runs queued actions until the work completes or the time is up; a failing write does not end it.</summary>
    private void PumpUntil(Task work, TimeSpan limit)
    {
        work.ContinueWith(static (_, state) => ((AsyncPSCmdlet)state!).TryAdd(s_workDone), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var deadline = DateTime.UtcNow + limit;
        while (!work.IsCompleted)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_queue.TryTake(out object? item, left))
            {
                return;
            }

            if (item is Action action)
            {
                try
                {
                    action();
                }
                catch (Exception)
                {
                    // The pipeline no longer takes this write (-ErrorAction Stop, a stopped downstream): go on with the rest.
                }
            }
        }
    }

    private static readonly object s_workDone = new();
}

/// <summary>Thrown by a body to end the cmdlet with ThrowTerminatingError(ErrorRecord) on the pipeline thread.</summary>
internal sealed class TerminatingErrorException : Exception
{
    public TerminatingErrorException(ErrorRecord errorRecord)
        : base(errorRecord.Exception?.Message, errorRecord.Exception)
    {
        ErrorRecord = errorRecord;
    }

    public ErrorRecord ErrorRecord { get; }
}
