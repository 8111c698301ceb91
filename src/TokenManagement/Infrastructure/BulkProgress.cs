using System.Diagnostics;
using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Write-Progress for a bulk run: items done, failures and the rate always; the total, percent and time left when the
/// total is known (<see cref="Total"/>); "retrying" while a request waits to be sent again. Shown from the second item
/// on, at most a few times a second; $ProgressPreference applies.
/// </summary>
internal sealed class BulkProgress
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static int s_nextActivityId = 1000;

    private readonly object _gate = new();
    private readonly string _activity;
    private readonly Action<ProgressRecord> _write;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly int _activityId = Interlocked.Increment(ref s_nextActivityId);
    private TimeSpan? _lastWritten;
    private int _done;
    private int _failed;
    private bool _shown;
    private string? _retrying;
    private long? _total;

    public BulkProgress(string activity, Action<ProgressRecord> write)
    {
        _activity = activity;
        _write = write;
    }

    /// <summary>How many items the run has, when known (an array of ids or names, a listing's numberOfResults).</summary>
    public long? Total
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }

        set
        {
            lock (_gate)
            {
                _total = value;
            }
        }
    }

    /// <summary>Items finished: changed, and failed (for the run's summary).</summary>
    public (int Done, int Failed) Counts
    {
        get
        {
            lock (_gate)
            {
                return (_done, _failed);
            }
        }
    }

    public void Done() => Update(ref _done);

    public void Failed() => Update(ref _failed);

    /// <summary>A request is waiting to be sent again: shown until the next item finishes.</summary>
    public void Retrying(string why)
    {
        lock (_gate)
        {
            _retrying = why;
            if (_lastWritten is { } last && _elapsed.Elapsed - last < Interval)
            {
                return;
            }

            _shown = true;
            _lastWritten = _elapsed.Elapsed;
            _write(NewRecord());
        }
    }

    public void Complete()
    {
        lock (_gate)
        {
            if (_shown)
            {
                _write(new ProgressRecord(_activityId, _activity, Status()) { RecordType = ProgressRecordType.Completed });
            }
        }
    }

    private void Update(ref int counter)
    {
        lock (_gate)
        {
            counter++;
            _retrying = null;
            if (_done + _failed < 2 || (_lastWritten is { } last && _elapsed.Elapsed - last < Interval))
            {
                return;
            }

            _lastWritten = _elapsed.Elapsed;
            _shown = true;
            _write(NewRecord());
        }
    }

    private ProgressRecord NewRecord()
    {
        var record = new ProgressRecord(_activityId, _activity, Status());
        if (_total is > 0 and { } total)
        {
            int finished = _done + _failed;
            record.PercentComplete = (int)Math.Min(100, finished * 100 / total);
            double seconds = _elapsed.Elapsed.TotalSeconds;
            if (finished > 0 && finished < total)
            {
                record.SecondsRemaining = (int)Math.Ceiling((total - finished) * seconds / finished);
            }
        }

        return record;
    }

    private string Status()
    {
        double seconds = Math.Max(_elapsed.Elapsed.TotalSeconds, 0.001);
        string of = _total is { } total ? $" of {total}" : "";
        string status = $"{_done + _failed}{of}: {_done} done, {_failed} failed, {(_done + _failed) / seconds:F1} per second";
        return _retrying is null ? status : $"{status}; retrying ({_retrying})";
    }
}
