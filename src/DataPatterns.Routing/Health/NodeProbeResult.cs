namespace DataPatterns.Routing;

/// <summary>What one probe of a node found.</summary>
/// <param name="IsWritable">True for a primary (PostgreSQL: <c>NOT pg_is_in_recovery()</c>).</param>
/// <param name="LogPosition">The primary's write position, or the replica's replay position.</param>
public readonly record struct NodeProbeResult(bool IsWritable, ConsistencyToken LogPosition)
{
    /// <summary>
    /// The lag the replica reports of itself (MariaDB: <c>Seconds_Behind_Master</c>), or null when it reports none. The
    /// router takes the larger of this and the lag it measures from log positions, so a replica far behind is excluded
    /// by <see cref="ReadWriteRouterOptions.MaxReplicaLag"/> at once, even before the router has seen the primary move.
    /// </summary>
    public TimeSpan? ReportedLag { get; init; }
}
