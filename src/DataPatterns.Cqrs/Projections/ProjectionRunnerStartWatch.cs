using Microsoft.Extensions.Logging;

namespace DataPatterns.Cqrs;

/// <summary>
/// Warns, once, when the application dispatches commands while projections are registered but the projection runner
/// has not started <see cref="Grace"/> after the first dispatch: nothing starts hosted services (no generic host, or a host
/// built but never run), so read models would never catch up. It never throws.
/// </summary>
internal sealed class ProjectionRunnerStartWatch(IEnumerable<IProjection> projections, TimeProvider time, ILogger logger) : IDisposable
{
    /// <summary>How long after the first dispatch the warning waits for the runner.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly int _projections = projections.Count();
    private int _armed;
    private volatile bool _started;
    private ITimer? _timer;

    /// <summary>Called when a dispatcher is created; only the first call arms the timer.</summary>
    public void Used()
    {
        if (_projections > 0 && !_started && Volatile.Read(ref _armed) == 0 && Interlocked.Exchange(ref _armed, 1) == 0)
        {
            _timer = time.CreateTimer(static state => ((ProjectionRunnerStartWatch)state!).Check(), this, Grace, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Called by the runner when the host starts it.</summary>
    public void Started() => _started = true;

    public void Dispose() => _timer?.Dispose();

    private void Check()
    {
        if (!_started)
        {
            CqrsLog.RunnerNotStarted(logger, _projections, Grace.TotalSeconds);
        }
    }
}
