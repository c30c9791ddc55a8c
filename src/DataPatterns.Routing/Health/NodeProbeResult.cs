namespace DataPatterns.Routing;

/// <summary>What one probe of a node found.</summary>
/// <param name="IsWritable">True for a primary (PostgreSQL: <c>NOT pg_is_in_recovery()</c>).</param>
/// <param name="LogPosition">The primary's write position, or the replica's replay position.</param>
public readonly record struct NodeProbeResult(bool IsWritable, ConsistencyToken LogPosition);
