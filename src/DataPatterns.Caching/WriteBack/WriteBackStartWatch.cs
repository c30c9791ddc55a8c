using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching;

/// <summary>
/// Warns, once, when a cache queues write-back writes but no flush loop has started <see cref="Grace"/> after the
/// first: nothing starts hosted services (no generic host, or a host built but never run), so the queued writes would
/// never reach the database. It never throws.
/// </summary>
internal sealed class WriteBackStartWatch(WriteBackStatus status, TimeProvider time, ILogger logger) : IDisposable
{
    /// <summary>How long after the first queued write the warning waits for the flush loop.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private int _armed;
    private ITimer? _timer;

    /// <summary>Called on every queued write; only the first arms the timer.</summary>
    public void Used()
    {
        if (Volatile.Read(ref _armed) == 0 && Interlocked.Exchange(ref _armed, 1) == 0)
        {
            _timer = time.CreateTimer(static state => ((WriteBackStartWatch)state!).Check(), this, Grace, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => _timer?.Dispose();

    private void Check()
    {
        if (!status.LoopEverStarted)
        {
            CachingLog.WriteBackNotStarted(logger, status.CacheName, Grace.TotalSeconds);
        }
    }
}
