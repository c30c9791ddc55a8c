namespace DataPatterns.Routing;

/// <summary>What a read does when no replica is eligible (all ejected, too far behind, or none configured).</summary>
public enum NoReplicaBehavior
{
    /// <summary>Read from the primary (counted as a fallback in the metrics). The default.</summary>
    FallBackToPrimary = 0,

    /// <summary>Throw <see cref="NoReplicaAvailableException"/>, for applications that must keep reads off the primary.</summary>
    Fail = 1,
}
