namespace DataPatterns.Caching;

/// <summary>
/// How one cache's write-back is doing, for the health check and the start-up warning: whether a flush loop runs,
/// since when the queue has held entries without a break (an upper bound of the oldest entry's age), the last flush that
/// succeeded and the last that failed, and how many writes went to the dead letter. Updated on the write and flush paths
/// with single writes of whole fields; a reader may see a flush and a failure of the same moment in either order.
/// </summary>
internal sealed class WriteBackStatus(string cacheName, int capacity)
{
    private long _pendingSinceTicks;
    private long _lastSuccessTicks;
    private long _lastFailureTicks;
    private long _deadLetters;
    private int _consecutiveFailures;
    private int _loopsRunning;
    private volatile bool _loopEverStarted;
    private volatile string? _lastFailure;

    public string CacheName { get; } = cacheName;

    public int Capacity { get; } = capacity;

    public bool LoopEverStarted => _loopEverStarted;

    public void Enqueued(DateTimeOffset now) => Interlocked.CompareExchange(ref _pendingSinceTicks, now.UtcTicks, 0);

    /// <summary>A pass over the queue finished; when it left the queue empty, nothing is pending any more.</summary>
    public void QueueFlushed(bool queueEmpty)
    {
        if (queueEmpty)
        {
            Volatile.Write(ref _pendingSinceTicks, 0);
        }
    }

    /// <summary>The writer took a whole batch.</summary>
    public void BatchWritten(DateTimeOffset now)
    {
        Volatile.Write(ref _lastSuccessTicks, now.UtcTicks);
        Volatile.Write(ref _consecutiveFailures, 0);
    }

    public void FlushFailed(DateTimeOffset now, Exception? failure)
    {
        Volatile.Write(ref _lastFailureTicks, now.UtcTicks);
        Interlocked.Increment(ref _consecutiveFailures);
        _lastFailure = failure?.Message ?? "the writer failed; the batch is retried";
    }

    public void DeadLettered() => Interlocked.Increment(ref _deadLetters);

    public void LoopStarted()
    {
        _loopEverStarted = true;
        Interlocked.Increment(ref _loopsRunning);
    }

    public void LoopStopped() => Interlocked.Decrement(ref _loopsRunning);

    public WriteBackSnapshot Snapshot(long depth) => new(
        CacheName,
        depth,
        Capacity,
        At(Volatile.Read(ref _pendingSinceTicks)),
        At(Volatile.Read(ref _lastSuccessTicks)),
        At(Volatile.Read(ref _lastFailureTicks)),
        _lastFailure,
        Volatile.Read(ref _consecutiveFailures),
        Interlocked.Read(ref _deadLetters),
        Volatile.Read(ref _loopsRunning) > 0);

    private static DateTimeOffset? At(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}

/// <summary>One cache's write-back at one moment (see <see cref="WriteBackStatus"/>).</summary>
internal sealed record WriteBackSnapshot(
    string CacheName,
    long Depth,
    int Capacity,
    DateTimeOffset? PendingSince,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? LastFailure,
    string? LastFailureMessage,
    int ConsecutiveFailures,
    long DeadLetters,
    bool LoopRunning);
