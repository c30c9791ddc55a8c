namespace DataPatterns.Routing;

/// <summary>The role a node plays in a replicated database.</summary>
public enum NodeRole
{
    /// <summary>Not known yet, or not declared: the router discovers it by probing (active-standby failover needs this).</summary>
    Any = 0,

    /// <summary>A writable node (the primary, or one of several in active-active).</summary>
    Primary = 1,

    /// <summary>A read-only replica fed by replication from the primary.</summary>
    Replica = 2,
}
