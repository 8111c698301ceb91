using System.Diagnostics;
using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>
/// Write-Progress for a bulk run whose size is not known in advance (it streams from the pipeline): items done,
/// failures and the rate. Shown from the second item on, at most a few times a second; $ProgressPreference applies.
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

    public BulkProgress(string activity, Action<ProgressRecord> write)
    {
        _activity = activity;
        _write = write;
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
            _write(new ProgressRecord(_activityId, _activity, Status()));
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
            _write(new ProgressRecord(_activityId, _activity, Status()));
        }
    }

    private string Status()
    {
        double seconds = Math.Max(_elapsed.Elapsed.TotalSeconds, 0.001);
        string status = $"{_done} done, {_failed} failed, {(_done + _failed) / seconds:F1} per second";
        return _retrying is null ? status : $"{status}; retrying ({_retrying})";
    }
}
