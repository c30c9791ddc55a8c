namespace DataPatterns.Routing;

/// <summary>How the router chooses among several eligible nodes (replicas for reads, primaries in active-active for writes).</summary>
public enum NodeSelectionPolicy
{
    /// <summary>Each eligible node in turn.</summary>
    RoundRobin = 0,

    /// <summary>A uniformly random eligible node.</summary>
    Random = 1,

    /// <summary>The eligible node with the fewest open connections from this router (ties in turn).</summary>
    LeastOutstanding = 2,

    /// <summary>A random eligible node with probability proportional to <see cref="RoutingNodeOptions.Weight"/>.</summary>
    Weighted = 3,
}
