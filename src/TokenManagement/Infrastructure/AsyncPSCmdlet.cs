using System.Collections.Concurrent;
using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>
/// The one async base cmdlet. Each of BeginProcessing, ProcessRecord and EndProcessing runs its async body on the
/// thread pool while the pipeline thread pumps a queue of actions (WriteObject, WriteError, WriteVerbose,
/// WriteWarning, WriteProgress, ShouldProcess) until that body has completed. PowerShell is only ever called on the
/// pipeline thread.
/// <para>
/// StopProcessing (Ctrl+C) cancels <see cref="StopToken"/>, which every body passes to every client call; the pump
/// stops at once and the cancelled body ends in the background. An exception from a pumped action (a downstream
/// Select-Object -First, -ErrorAction Stop) cancels the body the same way and propagates on the pipeline thread.
/// Terminating errors thrown by a body (<see cref="TerminatingErrorException"/>, or an exception the derived class maps
/// in <see cref="MapTerminatingError"/>) surface as ThrowTerminatingError on the pipeline thread.
/// </para>
/// <para>
/// The queue belongs to the cmdlet, not to one block: work started in one ProcessRecord may keep running and write
/// while later blocks pump: Enable-, Disable- and Remove-ApiToken keep up to -ThrottleLimit requests in flight this
/// way and drain them in EndProcessing.
/// </para>
/// </summary>
public abstract class AsyncPSCmdlet : PSCmdlet, IDisposable
{
    // The cmdlet whose body is running in this async flow: where the client's request records go (-Verbose).
    private static readonly AsyncLocal<AsyncPSCmdlet?> s_current = new();

    private readonly CancellationTokenSource _stop = new();
    private readonly BlockingCollection<object> _queue = new();
    private Task? _lastBlock;
    private bool? _whatIf;

    /// <summary>Cancelled by StopProcessing, or when the pipeline stops this cmdlet while it writes.</summary>
    protected CancellationToken StopToken => _stop.Token;

    /// <summary>Whether -WhatIf (or $WhatIfPreference) is in force; read on the pipeline thread in BeginProcessing.</summary>
    protected bool WhatIfRequested => _whatIf ?? false;

    /// <summary>The cmdlet whose async body runs in the current async flow, if any.</summary>
    internal static AsyncPSCmdlet? Current => s_current.Value;

    protected override void BeginProcessing()
    {
        _whatIf = ReadWhatIf();
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
        return AwaitCompletion(done);
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
        return AwaitCompletion(done);
    }

    /// <summary>ShouldProcess(target, action) on the pipeline thread (it may prompt).</summary>
    protected Task<bool> ShouldProcessAsync(string target, string action)
    {
        var done = NewCompletion<bool>();
        Post(() => Complete(done, () => ShouldProcess(target, action)));
        return AwaitCompletion(done);
    }

    /// <summary>
    /// The ShouldProcess decision with -Force: -WhatIf always reports (and declines); otherwise -Force proceeds
    /// without asking; otherwise ShouldProcess decides (-Confirm, $ConfirmPreference).
    /// </summary>
    protected Task<bool> ShouldProcessAsync(string target, string action, bool force)
    {
        if (force && !WhatIfRequested)
        {
            return Task.FromResult(true);
        }

        return ShouldProcessAsync(target, action);
    }

    protected void QueueVerbose(string message) => TryPost(() => WriteVerbose(message));

    protected void QueueWarning(string message) => TryPost(() => WriteWarning(message));

    protected void QueueProgress(ProgressRecord progressRecord) => TryPost(() => WriteProgress(progressRecord));

    /// <summary>For observers called from any thread (the client's request records): never throws.</summary>
    internal void TryQueueVerbose(string message) => TryPost(() => WriteVerbose(message));

    // ---- the pump (pipeline thread) ----

    private void RunBlock(Func<CancellationToken, Task> body)
    {
        if (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        Task block = Task.Run(() => RunBodyAsync(body));
        _lastBlock = block;
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
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
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
        await body(_stop.Token).ConfigureAwait(false);
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
                // The pipeline is stopping this command (downstream Select-Object -First, -ErrorAction Stop, a
                // prompt answered with Suspend...): the body must stop too.
                Cancel();
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

    private async Task<T> AwaitCompletion<T>(TaskCompletionSource<T> completion)
    {
        using (_stop.Token.Register(static state => ((TaskCompletionSource<T>)state!).TrySetCanceled(), completion))
        {
            return await completion.Task.ConfigureAwait(false);
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

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _queue.CompleteAdding();
        // A body abandoned by a stop may still be running with the token: leave the rest to the GC then.
        if (_lastBlock is null || _lastBlock.IsCompleted)
        {
            _queue.Dispose();
            _stop.Dispose();
        }
    }
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
