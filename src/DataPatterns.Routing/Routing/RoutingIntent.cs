namespace DataPatterns.Routing;

/// <summary>What a connection is for; the router picks the node from it.</summary>
public enum RoutingIntent
{
    /// <summary>Writes (and reads that must see the latest data): the primary.</summary>
    Write = 0,

    /// <summary>Reads that may be slightly stale (within the lag bound): a replica, chosen by the policy.</summary>
    Read = 1,

    /// <summary>
    /// Reads that must see a given write: a replica that has replayed the consistency token, else (after an optional wait) the primary.
    /// </summary>
    ReadAfterWrite = 2,
}
