using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>
/// The database-specific questions the router asks a node. A provider package implements it
/// (<c>DataPatterns.Routing.Npgsql</c> for PostgreSQL); the router asks nothing else of the database.
/// </summary>
public interface IRoutingProbe
{
    /// <summary>
    /// Asks an open connection whether its node takes writes, and its log position: the current write position of a
    /// primary (PostgreSQL: <c>pg_current_wal_lsn()</c>), the replay position of a replica (<c>pg_last_wal_replay_lsn()</c>).
    /// </summary>
    /// <param name="connection">An open connection to the node.</param>
    /// <param name="cancellationToken">Cancels the probe.</param>
    ValueTask<NodeProbeResult> ProbeAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// The primary's position after everything committed so far (PostgreSQL: <c>pg_current_wal_insert_lsn()</c>), as the
    /// consistency token a later read-your-writes read must see.
    /// </summary>
    /// <param name="connection">An open connection to the primary (it may be the one that just committed).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    ValueTask<ConsistencyToken> GetWritePositionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The position a replica has replayed up to now (PostgreSQL: <c>pg_last_wal_replay_lsn()</c>).</summary>
    /// <param name="connection">An open connection to the replica.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    ValueTask<ConsistencyToken> GetReplayPositionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// A connection the router keeps open per node for its probes only, so a probe never waits behind application
    /// traffic for a pooled connection (a saturated pool would otherwise make a working node look dead). Providers return
    /// an unpooled connection with the node's settings and credentials; the default takes one from the node's own data
    /// source, which shares its pool.
    /// </summary>
    /// <param name="nodeDataSource">The node's data source.</param>
    /// <returns>An unopened connection; the router opens it, keeps it and disposes it.</returns>
    DbConnection CreateProbeConnection(DbDataSource nodeDataSource)
    {
        ArgumentNullException.ThrowIfNull(nodeDataSource);
        return nodeDataSource.CreateConnection();
    }

    /// <summary>
    /// Called when a node's probe failed with <paramref name="probeError"/> (never for a probe that only timed out: a busy
    /// node keeps its pool). When the error means the server went away or restarted, the connections idle in the node's
    /// pool are broken too, and each would fail the application once after the server is back; providers drop them here
    /// (PostgreSQL: <c>NpgsqlDataSource.Clear()</c>). The default does nothing.
    /// </summary>
    /// <param name="nodeDataSource">The node's data source.</param>
    /// <param name="probeError">What the probe failed with.</param>
    /// <returns>Whether the pool was cleared.</returns>
    bool ClearBrokenConnections(DbDataSource nodeDataSource, Exception probeError) => false;
}
