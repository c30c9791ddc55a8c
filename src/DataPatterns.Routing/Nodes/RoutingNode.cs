using System.Data;
using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>
/// One node and what the router knows about it. The probe loop writes the state (under the router's lock); the routing
/// path reads it without locks, field by field, which is safe because every field is a single word read atomically.
/// </summary>
internal sealed class RoutingNode
{
    private int _role;
    private int _healthy = 1;
    private int _demoted;
    private ulong _position;
    private long _lagTicks;
    private int _outstanding;
    private int _slow;
    private int _ejectedForTimeout;
    private long _lastSuccessAt;

    private readonly TimeProvider _time;

    public RoutingNode(int index, RoutingNodeOptions options, DbDataSource dataSource, bool ownsDataSource, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Index = index;
        Name = options.Name;
        ExpectedRole = options.ExpectedRole;
        Weight = options.Weight;
        DataSource = dataSource;
        OwnsDataSource = ownsDataSource;
        _role = (int)options.ExpectedRole;
        TrackState = OnStateChange;
    }

    public int Index { get; }

    public string Name { get; }

    public NodeRole ExpectedRole { get; }

    public int Weight { get; }

    public DbDataSource DataSource { get; }

    public bool OwnsDataSource { get; }

    /// <summary>Counts this node's open connections (cached so attaching it allocates nothing).</summary>
    public StateChangeEventHandler TrackState { get; }

    /// <summary>The probed role (<see cref="NodeRole.Any"/> until a probe answered, unless declared).</summary>
    public NodeRole Role
    {
        get => (NodeRole)Volatile.Read(ref _role);
        set => Volatile.Write(ref _role, (int)value);
    }

    public bool IsHealthy
    {
        get => Volatile.Read(ref _healthy) == 1;
        set => Volatile.Write(ref _healthy, value ? 1 : 0);
    }

    public bool IsDemoted
    {
        get => Volatile.Read(ref _demoted) == 1;
        set => Volatile.Write(ref _demoted, value ? 1 : 0);
    }

    /// <summary>
    /// In rotation, but its probe timed out (while operations on it kept succeeding) or it refused for overload:
    /// visible in <see cref="RoutingNodeState.IsSlow"/>, never a reason to eject it.
    /// </summary>
    public bool IsSlow
    {
        get => Volatile.Read(ref _slow) == 1;
        set => Volatile.Write(ref _slow, value ? 1 : 0);
    }

    /// <summary>Ejected for a timeout rather than a refusal: the node may be alive, so panic mode may still route to it.</summary>
    public bool EjectedForTimeout
    {
        get => Volatile.Read(ref _ejectedForTimeout) == 1;
        set => Volatile.Write(ref _ejectedForTimeout, value ? 1 : 0);
    }

    /// <summary>When a connection to the node last opened for the application (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    public long LastSuccessAt
    {
        get => Volatile.Read(ref _lastSuccessAt);
        set => Volatile.Write(ref _lastSuccessAt, value);
    }

    /// <summary>The node's adaptive concurrency limit, or null when <see cref="AdaptiveConcurrencyOptions.Enabled"/> is off.</summary>
    public AdaptiveConcurrencyLimiter? Limiter { get; set; }

    /// <summary>The probe's own connection (outside the application's pool); only the probe cycle touches it, and cycles never overlap.</summary>
    public DbConnection? ProbeConnection { get; set; }

    /// <summary>When the node was last ejected (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    public long EjectedAt { get; set; }

    /// <summary>Whether a successful probe has been seen since the router started.</summary>
    public bool Probed { get; set; }

    /// <summary>The write position of a primary, the replay position of a replica.</summary>
    public ConsistencyToken Position => new(Volatile.Read(ref _position));

    public TimeSpan Lag
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _lagTicks));
        set => Volatile.Write(ref _lagTicks, value.Ticks);
    }

    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Raises the known position (it only moves forward, except when the probe sets it outright).</summary>
    public void ObservePosition(ConsistencyToken position)
    {
        var current = Volatile.Read(ref _position);
        while (position.Position > current)
        {
            var seen = Interlocked.CompareExchange(ref _position, position.Position, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    public void SetPosition(ConsistencyToken position) => Volatile.Write(ref _position, position.Position);

    /// <summary>Attaches the open-connection counter (which also notes the open as proof the node serves) to a connection the router hands out.</summary>
    public void Track(DbConnection connection)
    {
        if (connection.State == ConnectionState.Open)
        {
            Interlocked.Increment(ref _outstanding);
            LastSuccessAt = _time.GetTimestamp();
        }

        connection.StateChange += TrackState;
    }

    private void OnStateChange(object sender, StateChangeEventArgs e)
    {
        if (e.CurrentState == ConnectionState.Open && e.OriginalState != ConnectionState.Open)
        {
            Interlocked.Increment(ref _outstanding);
            LastSuccessAt = _time.GetTimestamp();
        }
        else if (e.OriginalState == ConnectionState.Open && e.CurrentState != ConnectionState.Open)
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    public RoutingNodeState Snapshot() => new(Name, Role, IsHealthy, IsDemoted, Position, Lag, Outstanding) { IsSlow = IsSlow, ConcurrencyLimit = Limiter?.Limit, QueuedOpens = Limiter?.Queued ?? 0, RejectedOpens = Limiter?.Rejected ?? 0 };
}
