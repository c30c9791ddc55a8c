using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace DataPatterns.Caching;

/// <summary>
/// Bounds the reads of one distributed level by <see cref="DistributedLevelOptions.Timeout"/> without a timer per call:
/// reads in flight are kept in a set that one timer sweeps every tenth of the timeout, and only while reads are in
/// flight. A read still running at its deadline is abandoned (its caller gets a <see cref="TimeoutException"/>) within
/// 1.1 × the timeout. The objects that carry a read are reused, so a bounded read allocates nothing.
/// </summary>
internal sealed class DistributedReadTimeouts : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly long _timeoutTicks;
    private readonly TimeSpan _period;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private readonly HashSet<PendingDistributedRead> _pending = new(ReferenceEqualityComparer.Instance);
    private bool _armed;

    public DistributedReadTimeouts(TimeProvider time, TimeSpan timeout)
    {
        _time = time;
        _timeout = timeout;
        _timeoutTicks = (long)(timeout.TotalSeconds * time.TimestampFrequency);
        _period = TimeSpan.FromTicks(Math.Max(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond));
        _timer = time.CreateTimer(static state => ((DistributedReadTimeouts)state!).Sweep(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary><paramref name="read"/>, failing with <see cref="TimeoutException"/> once it has run past the timeout.</summary>
    public ValueTask<bool> Bound(ValueTask<bool> read)
    {
        if (read.IsCompleted)
        {
            return read;
        }

        var pending = PendingDistributedRead.Rent();
        return pending.Start(this, read, _time.GetTimestamp() + _timeoutTicks);
    }

    public void Dispose() => _timer.Dispose();

    internal void Track(PendingDistributedRead read)
    {
        lock (_lock)
        {
            _pending.Add(read);
            if (!_armed)
            {
                _armed = true;
                _timer.Change(_period, _period);
            }
        }
    }

    internal void Untrack(PendingDistributedRead read)
    {
        lock (_lock)
        {
            _pending.Remove(read);
        }
    }

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        List<PendingDistributedRead>? expired = null;
        lock (_lock)
        {
            foreach (var read in _pending)
            {
                if (now >= read.Deadline)
                {
                    (expired ??= []).Add(read);
                }
            }

            if (expired is not null)
            {
                foreach (var read in expired)
                {
                    _pending.Remove(read);
                    read.AddReference(); // held by the queued time-out until it has run
                }
            }

            if (_pending.Count == 0 && _armed)
            {
                _armed = false;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        if (expired is not null)
        {
            foreach (var read in expired)
            {
                read.TimeoutMessage = $"The distributed level did not answer within {_timeout}.";
                ThreadPool.UnsafeQueueUserWorkItem(read, preferLocal: false); // the caller goes on there, not on the timer's thread
            }
        }
    }
}

/// <summary>One bounded read: completed by the read or by its time-out, whichever comes first; reused once both are done.</summary>
internal sealed class PendingDistributedRead : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    private readonly Action _onRead;
    private ManualResetValueTaskSourceCore<bool> _core;
    private ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter _read;
    private DistributedReadTimeouts? _owner;
    private int _completed;
    private int _references;

    private PendingDistributedRead() => _onRead = OnRead;

    public long Deadline { get; private set; }

    public string? TimeoutMessage { get; set; }

    public static PendingDistributedRead Rent() => ReusePool<PendingDistributedRead>.TryTake() ?? new PendingDistributedRead();

    public ValueTask<bool> Start(DistributedReadTimeouts owner, ValueTask<bool> read, long deadline)
    {
        _owner = owner;
        Deadline = deadline;
        _completed = 0;
        _references = 2; // the read's completion and the caller's GetResult
        var version = _core.Version;
        owner.Track(this);
        _read = read.ConfigureAwait(false).GetAwaiter();
        _read.UnsafeOnCompleted(_onRead);
        return new ValueTask<bool>(this, version);
    }

    public void AddReference() => Interlocked.Increment(ref _references);

    public bool GetResult(short token)
    {
        // A stale token (the same ValueTask awaited twice) must fail without releasing a reference it does not hold.
        if (token != _core.Version)
        {
            throw new InvalidOperationException("A bounded distributed read was awaited more than once.");
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>The time-out, run on the thread pool.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetException(new TimeoutException(TimeoutMessage));
        }

        Release();
    }

    private void OnRead()
    {
        bool found = false;
        Exception? error = null;
        try
        {
            found = _read.GetResult(); // the read has completed: this callback is its continuation, so nothing blocks
        }
        catch (Exception ex)
        {
            error = ex;
        }

        _read = default;
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _owner!.Untrack(this);
            if (error is null)
            {
                _core.SetResult(found);
            }
            else
            {
                _core.SetException(error);
            }
        }

        Release();
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        _core.Reset();
        _owner = null;
        TimeoutMessage = null;
        ReusePool<PendingDistributedRead>.Give(this);
    }
}
