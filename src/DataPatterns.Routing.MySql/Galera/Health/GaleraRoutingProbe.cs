using System.Data.Common;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// The Galera answers the router needs. A node serves (reads and writes: every Synced node is writable) only when
/// <c>wsrep_ready = ON</c>, <c>wsrep_local_state = 4</c> (Synced) and <c>wsrep_cluster_status = Primary</c>; otherwise the
/// probe throws <see cref="GaleraNodeUnavailableException"/> and the router ejects the node until it is Synced again.
/// The log position is <c>wsrep_last_committed</c>, the cluster-wide sequence number of the last transaction the node
/// committed (the same numbering on every node).
/// </summary>
public sealed class GaleraRoutingProbe : IRoutingProbe
{
    // One round trip; information_schema holds the status variables as text, @@wsrep_on says whether wsrep is loaded at all.
    private const string ProbeSql =
        "SELECT 'wsrep_on', IF(@@wsrep_on, 'ON', 'OFF') UNION ALL "
        + "SELECT LOWER(VARIABLE_NAME), VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN "
        + "('WSREP_READY', 'WSREP_LOCAL_STATE', 'WSREP_LOCAL_STATE_COMMENT', 'WSREP_CLUSTER_STATUS', 'WSREP_LAST_COMMITTED')";

    private const string LastCommittedSql = "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LAST_COMMITTED'";

    /// <summary>The shared instance (the probe holds no state).</summary>
    public static GaleraRoutingProbe Instance { get; } = new();

    /// <inheritdoc />
    /// <exception cref="GaleraNodeUnavailableException">The node is not Synced in the Primary component, or not a Galera node.</exception>
    public async ValueTask<NodeProbeResult> ProbeAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var status = await ReadStatusAsync(connection, cancellationToken).ConfigureAwait(false);
        if (status.WhyNotServing() is { } why)
        {
            throw new GaleraNodeUnavailableException($"Galera node at {Describe(connection)} takes no traffic: {why}.")
            {
                NodeState = status.StateComment,
                IsGaleraNode = status.WsrepOn,
            };
        }

        return new NodeProbeResult(IsWritable: true, new ConsistencyToken(status.LastCommitted));
    }

    /// <summary>The node's <c>wsrep_last_committed</c>: every node numbers transactions alike, so it is the cluster's position as this node has applied it.</summary>
    /// <param name="connection">An open connection to a node.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public ValueTask<ConsistencyToken> GetWritePositionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ReadLastCommittedAsync(connection, cancellationToken);

    /// <summary>The node's <c>wsrep_last_committed</c> (see <see cref="GetWritePositionAsync"/>).</summary>
    /// <param name="connection">An open connection to a node.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public ValueTask<ConsistencyToken> GetReplayPositionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ReadLastCommittedAsync(connection, cancellationToken);

    /// <summary>
    /// An unpooled connection with the node's settings and credentials, kept open by the router for probes only, so a
    /// probe never queues behind the application's pool.
    /// </summary>
    /// <param name="nodeDataSource">The node's data source.</param>
    /// <returns>An unopened connection.</returns>
    public DbConnection CreateProbeConnection(DbDataSource nodeDataSource)
    {
        ArgumentNullException.ThrowIfNull(nodeDataSource);
        var pooled = nodeDataSource.CreateConnection();
        if (pooled is not MySqlConnection mySql)
        {
            return pooled;
        }

        using (mySql)
        {
            var settings = new MySqlConnectionStringBuilder(mySql.ConnectionString) { Pooling = false, ApplicationName = "DataPatterns.Routing probe" };

            // CloneWith carries the password the data source holds even when its string omits it.
            return mySql.CloneWith(settings.ConnectionString);
        }
    }

    /// <summary>
    /// Empties the node's pool when the probe's error means the server went away (the connection broke or could not be
    /// made): a killed or restarted node left every idle pooled connection broken. A Galera state (Donor, Joining) or a
    /// timeout keeps the pool.
    /// </summary>
    /// <param name="nodeDataSource">The node's data source.</param>
    /// <param name="probeError">What the probe failed with.</param>
    /// <returns>Whether the pool was cleared.</returns>
    public bool ClearBrokenConnections(DbDataSource nodeDataSource, Exception probeError)
    {
        ArgumentNullException.ThrowIfNull(nodeDataSource);
        ArgumentNullException.ThrowIfNull(probeError);
        if (!MeansServerWentAway(probeError) || nodeDataSource.CreateConnection() is not MySqlConnection connection)
        {
            return false;
        }

        using (connection)
        {
            MySqlConnection.ClearPool(connection);
        }

        return true;
    }

    internal static bool MeansServerWentAway(Exception error) => error switch
    {
        GaleraNodeUnavailableException => false,
        MySqlException mySql => mySql.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.ServerShutdown
            || mySql.InnerException is IOException or System.Net.Sockets.SocketException,
        IOException or System.Net.Sockets.SocketException or EndOfStreamException => true,
        _ => false,
    };

    internal static async ValueTask<GaleraNodeStatus> ReadStatusAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = connection.CreateCommand();
        command.CommandText = ProbeSql;
        try
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    values[reader.GetString(0)] = reader.IsDBNull(1) ? "" : reader.GetString(1);
                }
            }
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.UnknownSystemVariable)
        {
            // A server built without wsrep (MySQL, a MariaDB without Galera support) has no @@wsrep_on at all.
            values.Clear();
        }

        return GaleraNodeStatus.Parse(values);
    }

    private static async ValueTask<ConsistencyToken> ReadLastCommittedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = LastCommittedSql;
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is string text && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var seqno)
            ? new ConsistencyToken(seqno < 0 ? 0 : (ulong)seqno)
            : throw new InvalidOperationException($"The node returned '{value ?? "nothing"}' for wsrep_last_committed; is it a MariaDB Galera node?");
    }

    private static string Describe(DbConnection connection)
    {
        var settings = new MySqlConnectionStringBuilder(connection.ConnectionString);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{settings.Server}:{settings.Port}");
    }
}
