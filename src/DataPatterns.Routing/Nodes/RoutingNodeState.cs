namespace DataPatterns.Routing;

/// <summary>What the router knows about one node at a moment (from <see cref="ReadWriteRouter.GetNodes"/>).</summary>
/// <param name="Name">The node's name.</param>
/// <param name="Role">The role the last probe found (<see cref="NodeRole.Any"/> before the first successful probe).</param>
/// <param name="IsHealthy">False while the node is ejected after a failure.</param>
/// <param name="IsDemoted">True when the node answered with a role that contradicts its declared role; it receives nothing.</param>
/// <param name="LogPosition">The last probed log position: the write position of a primary, the replay position of a replica.</param>
/// <param name="Lag">The replication lag the router observed for a replica (zero for a primary or a replica that is caught up).</param>
/// <param name="OutstandingConnections">Connections from this node that are open now.</param>
public readonly record struct RoutingNodeState(
    string Name,
    NodeRole Role,
    bool IsHealthy,
    bool IsDemoted,
    ConsistencyToken LogPosition,
    TimeSpan Lag,
    int OutstandingConnections)
{
    /// <summary>
    /// True while the node is in rotation but its last probe timed out (though operations on it succeeded) or it refused
    /// for overload. A slow node is not ejected; it stops being slow at its next answered probe.
    /// </summary>
    public bool IsSlow { get; init; }

    /// <summary>The node's adaptive concurrency limit now, or null when <see cref="AdaptiveConcurrencyOptions.Enabled"/> is off.</summary>
    public int? ConcurrencyLimit { get; init; }

    /// <summary>Opens waiting for a slot under the adaptive limit now.</summary>
    public int QueuedOpens { get; init; }

    /// <summary>Opens refused by the adaptive limit since the router started.</summary>
    public long RejectedOpens { get; init; }
}
