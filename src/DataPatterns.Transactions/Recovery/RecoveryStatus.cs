namespace DataPatterns.Transactions;

/// <summary>
/// What recovery has done lately, for the health check and the start-up warning: the last pass that finished (its time,
/// its in-doubt branches and the oldest one's age, the resources it could not ask) and the last pass that failed.
/// Written by each pass, read at any time, so it is guarded by a lock rather than kept consistent field by field.
/// </summary>
internal sealed class RecoveryStatus
{
    private readonly Lock _gate = new();
    private Snapshot _current = new(null, 0, TimeSpan.Zero, [], null, null, false);

    /// <summary>Recovery's state at one moment.</summary>
    /// <param name="LastPassAt">When the last pass finished; null before the first.</param>
    /// <param name="InDoubt">Prepared branches the last pass left unresolved (not in flight in this process).</param>
    /// <param name="OldestInDoubt">The age of the oldest of them when the pass ran.</param>
    /// <param name="Unreachable">Resources the last pass could not ask.</param>
    /// <param name="LastFailureAt">When a pass last failed as a whole; null when none has, or a pass finished since.</param>
    /// <param name="LastFailure">That failure.</param>
    /// <param name="ServiceStarted">True once the hosted recovery service has started.</param>
    internal sealed record Snapshot(DateTimeOffset? LastPassAt, long InDoubt, TimeSpan OldestInDoubt, IReadOnlyList<string> Unreachable,
        DateTimeOffset? LastFailureAt, Exception? LastFailure, bool ServiceStarted);

    public Snapshot Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public void PassFinished(DateTimeOffset at, long inDoubt, TimeSpan oldest, IReadOnlyList<string> unreachable)
    {
        lock (_gate)
        {
            _current = _current with { LastPassAt = at, InDoubt = inDoubt, OldestInDoubt = oldest, Unreachable = unreachable, LastFailureAt = null, LastFailure = null };
        }
    }

    public void PassFailed(DateTimeOffset at, Exception failure)
    {
        lock (_gate)
        {
            _current = _current with { LastFailureAt = at, LastFailure = failure };
        }
    }

    public void ServiceStarted()
    {
        lock (_gate)
        {
            _current = _current with { ServiceStarted = true };
        }
    }
}
