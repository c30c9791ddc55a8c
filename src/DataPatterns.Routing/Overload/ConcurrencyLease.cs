using System.Data;
using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>
/// Holds a routed connection's slot in its node's <see cref="AdaptiveConcurrencyLimiter"/> while the connection is open,
/// and reports how long it was held when it closes. An application that closes and reopens the same connection object
/// takes the slot again on reopen (past the limit, as nothing can be refused at that point).
/// </summary>
internal sealed class ConcurrencyLease
{
    private readonly AdaptiveConcurrencyLimiter _limiter;
    private readonly TimeProvider _time;
    private long _startedAt;
    private int _held;

    private ConcurrencyLease(AdaptiveConcurrencyLimiter limiter, TimeProvider time, long startedAt, bool held)
    {
        _limiter = limiter;
        _time = time;
        _startedAt = startedAt;
        _held = held ? 1 : 0;
    }

    /// <summary>For a connection opened after its slot was acquired at <paramref name="startedAt"/>.</summary>
    public static void AttachOpened(DbConnection connection, AdaptiveConcurrencyLimiter limiter, TimeProvider time, long startedAt) =>
        connection.StateChange += new ConcurrencyLease(limiter, time, startedAt, held: true).OnStateChange;

    /// <summary>For a connection handed out unopened: the application opens it, and the slot is taken then.</summary>
    public static void AttachUnopened(DbConnection connection, AdaptiveConcurrencyLimiter limiter, TimeProvider time) =>
        connection.StateChange += new ConcurrencyLease(limiter, time, 0, held: false).OnStateChange;

    private void OnStateChange(object sender, StateChangeEventArgs e)
    {
        if (e.CurrentState == ConnectionState.Open && e.OriginalState != ConnectionState.Open)
        {
            if (Interlocked.Exchange(ref _held, 1) == 0)
            {
                _startedAt = _time.GetTimestamp();
                _limiter.ForceAcquire();
            }
        }
        else if (e.OriginalState == ConnectionState.Open && e.CurrentState != ConnectionState.Open)
        {
            if (Interlocked.Exchange(ref _held, 0) == 1)
            {
                _limiter.Release(_startedAt, sample: true);
            }
        }
    }
}
