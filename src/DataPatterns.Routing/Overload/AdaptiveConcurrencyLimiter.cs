namespace DataPatterns.Routing;

/// <summary>
/// The adaptive limit of one node (see <see cref="AdaptiveConcurrencyOptions"/>). Each completed operation reports how
/// long it held its slot; every half-limit of completions the limit moves toward
/// <c>limit × baseline / average + allowance</c>: the concurrency the node ran at its no-queue latency, plus a little
/// queue. Below the node's knee the average equals the baseline and the limit grows by the allowance; above it the
/// average grows with the queue and the estimate falls back to the knee. The baseline is the lowest window average,
/// re-measured every <see cref="AdaptiveConcurrencyOptions.BaselineWindow"/> completions with the limit halved for one
/// window (as Vegas-style limiters probe), so a limit that starts above the knee still finds it and a node that became
/// slower for good gets a new baseline. Everything runs under one lock: acquire and release are a few arithmetic steps,
/// and the limiter exists only when enabled.
/// </summary>
internal sealed class AdaptiveConcurrencyLimiter
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly AdaptiveConcurrencyOptions _options;
    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private double _limit;
    private int _inFlight;
    private int _peakInFlight;
    private int _samples;
    private double _latencySum;
    private double _baseline = double.MaxValue;
    private int _sinceProbe;
    private bool _probing;
    private long _probeStartedAt;
    private double _limitBeforeProbe;
    private long _rejected;

    public AdaptiveConcurrencyLimiter(AdaptiveConcurrencyOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _limit = Math.Clamp(options.InitialLimit, options.MinLimit, options.MaxLimit);
    }

    /// <summary>The limit the node settled at (during a baseline probe window the node admits half of it).</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return (int)Math.Round(_probing ? _limitBeforeProbe : _limit);
            }
        }
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    public long Rejected => Interlocked.Read(ref _rejected);

    private int CurrentLimit => (int)Math.Round(_limit);

    /// <summary>Takes a slot without waiting; false when the limit is reached (counted as a rejection).</summary>
    public bool TryAcquire()
    {
        lock (_lock)
        {
            if (_inFlight < CurrentLimit && _waiters.Count == 0)
            {
                TakeSlot();
                return true;
            }

            _rejected++;
            return false;
        }
    }

    /// <summary>Takes a slot, waiting in the bounded queue up to the wait limit; false when it got none.</summary>
    public async ValueTask<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> place;
        lock (_lock)
        {
            if (_inFlight < CurrentLimit && _waiters.Count == 0)
            {
                TakeSlot();
                return true;
            }

            if (_waiters.Count >= _options.MaxQueue)
            {
                _rejected++;
                return false;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            place = _waiters.AddLast(waiter);
        }

        try
        {
            await waiter.Task.WaitAsync(_options.MaxQueueWait, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            bool granted;
            lock (_lock)
            {
                granted = waiter.Task.IsCompleted;
                if (!granted)
                {
                    _waiters.Remove(place);
                    _rejected += ex is TimeoutException ? 1 : 0;
                }
            }

            if (ex is TimeoutException)
            {
                // A slot handed over just as the wait ended is kept.
                return granted;
            }

            if (granted)
            {
                Release(0, sample: false);
            }

            throw;
        }
    }

    /// <summary>Counts a slot taken outside the limit (a routed connection reopened by the application).</summary>
    public void ForceAcquire()
    {
        lock (_lock)
        {
            TakeSlot();
        }
    }

    /// <summary>Gives a slot back; with <paramref name="sample"/>, the time since <paramref name="startedAt"/> is a latency sample.</summary>
    public void Release(long startedAt, bool sample)
    {
        var now = sample ? _time.GetTimestamp() : 0;
        lock (_lock)
        {
            _inFlight--;
            if (sample)
            {
                Record(startedAt, Math.Max(1, _time.GetElapsedTime(startedAt, now).Ticks));
            }

            while (_waiters.First is { } next && _inFlight < CurrentLimit)
            {
                _waiters.RemoveFirst();
                TakeSlot();
                next.Value.TrySetResult();
            }
        }
    }

    private void TakeSlot()
    {
        _inFlight++;
        _peakInFlight = Math.Max(_peakInFlight, _inFlight);
    }

    private void Record(long startedAt, long latency)
    {
        if (_probing)
        {
            RecordProbe(startedAt, latency);
            return;
        }

        _samples++;
        _latencySum += latency;
        if (_samples >= Math.Max(1, CurrentLimit / 2))
        {
            Update();
        }

        if (++_sinceProbe >= _options.BaselineWindow)
        {
            // Halve the limit for one window to measure the latency at lower concurrency: the baseline must come from
            // below the knee, which a limit that started (or drifted) above it would otherwise never see.
            _probing = true;
            _probeStartedAt = _time.GetTimestamp();
            _limitBeforeProbe = _limit;
            _limit = Math.Max(_options.MinLimit, _limit / 2);
            ResetWindow();
        }
    }

    private void RecordProbe(long startedAt, long latency)
    {
        if (startedAt < _probeStartedAt)
        {
            return; // started at the old, higher concurrency
        }

        _samples++;
        _latencySum += latency;
        if (_samples >= Math.Max(1, CurrentLimit))
        {
            _baseline = _latencySum / _samples;
            _limit = _limitBeforeProbe;
            _probing = false;
            _sinceProbe = 0;
            ResetWindow();
        }
    }

    private void Update()
    {
        var average = _latencySum / _samples;
        _baseline = Math.Min(_baseline, average);
        var gradient = Math.Min(1.0, _baseline / average);
        var running = _limit * gradient;
        var target = running + Math.Max(1.0, _options.QueueAllowance * running);

        // Too little demand to fill half the limit says nothing about the node's capacity: do not grow on it.
        if (target > _limit && _peakInFlight * 2 < CurrentLimit)
        {
            target = _limit;
        }

        _limit = Math.Clamp(_limit + (_options.Smoothing * (target - _limit)), _options.MinLimit, _options.MaxLimit);
        ResetWindow();
    }

    private void ResetWindow()
    {
        _samples = 0;
        _latencySum = 0;
        _peakInFlight = _inFlight;
    }
}
