using Microsoft.Extensions.Logging;

namespace DataPatterns.Transactions;

/// <summary>
/// Warns, once, when transactions are begun but no recovery pass has run <see cref="Grace"/> after the first of them:
/// the usual cause is that nothing starts hosted services (no generic host, or a host built but never run), so
/// branches left prepared by a crash would stay prepared, holding their locks, for good. It never throws.
/// </summary>
internal sealed class RecoveryStartWatch(RecoveryStatus status, TimeProvider time, ILogger logger) : IDisposable
{
    /// <summary>How long after the first transaction the warning waits for a recovery pass.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private int _armed;
    private ITimer? _timer;

    /// <summary>Called on every Begin; only the first arms the timer.</summary>
    public void Used()
    {
        if (Volatile.Read(ref _armed) == 0 && Interlocked.Exchange(ref _armed, 1) == 0)
        {
            _timer = time.CreateTimer(static state => ((RecoveryStartWatch)state!).Check(), this, Grace, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => _timer?.Dispose();

    private void Check()
    {
        var current = status.Current;
        if (!current.ServiceStarted && current.LastPassAt is null)
        {
            TransactionsLog.RecoveryNotStarted(logger, Grace.TotalSeconds);
        }
    }
}
