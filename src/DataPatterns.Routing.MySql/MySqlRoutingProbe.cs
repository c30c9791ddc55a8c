using System.Data.Common;
using MySqlConnector;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// The MariaDB (and MySQL) answers the router needs. Role: <c>@@global.read_only</c> (off: the node takes writes). Position:
/// the sequence number in <see cref="MySqlRoutingOptions.GtidDomainId"/> of the primary's <c>@@gtid_binlog_pos</c> or the
/// replica's <c>@@gtid_slave_pos</c>, so the router's lag bound measures GTID distance in time; a replica's own
/// <c>Seconds_Behind_Master</c> (from <c>SHOW ALL SLAVES STATUS</c>) is reported beside it. Read-your-writes reads wait on
/// the replica with <c>MASTER_GTID_WAIT</c>. Tokens map to GTIDs as <see cref="MariaDbConsistencyTokens"/> says.
/// </summary>
public sealed partial class MySqlRoutingProbe : IRoutingProbe, IRoutingReplayWaiter
{
    private readonly uint _domainId;
    private readonly MySqlDialect _dialect;

    /// <summary>Creates a probe with the given settings.</summary>
    /// <param name="options">The GTID domain and dialect; the defaults (domain 0, told by the server version) when null.</param>
    public MySqlRoutingProbe(MySqlRoutingOptions? options = null)
    {
        _domainId = options?.GtidDomainId ?? 0;
        _dialect = options?.Dialect ?? MySqlDialect.Auto;
    }

    /// <summary>The probe with the default settings (GTID domain 0, dialect told by the server version).</summary>
    public static MySqlRoutingProbe Instance { get; } = new();

    /// <summary>The GTID domain in which tokens are sequence numbers.</summary>
    public uint GtidDomainId => _domainId;

    /// <inheritdoc />
    public ValueTask<NodeProbeResult> ProbeAsync(DbConnection connection, CancellationToken cancellationToken) =>
        IsMariaDb(connection) ? ProbeMariaDbAsync(connection, cancellationToken) : ProbeMySqlAsync(connection, cancellationToken);

    /// <summary>
    /// The primary's <c>@@gtid_binlog_pos</c> as a token. Not <c>@@last_gtid</c>: a pooled connection may carry the last
    /// GTID of an earlier lease, older than this unit of work's write, while the binlog position covers every commit that
    /// has returned. <see cref="MariaDbConsistencyTokens.PrimaryOnly"/> when the position has another domain, and always on MySQL.
    /// </summary>
    /// <exception cref="NoPrimaryAvailableException">The node is read-only (a failover is under way).</exception>
    public ValueTask<ConsistencyToken> GetWritePositionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        IsMariaDb(connection) ? MariaDbWritePositionAsync(connection, cancellationToken) : MySqlWritePositionAsync(connection, cancellationToken);

    /// <summary>The replica's <c>@@gtid_slave_pos</c> sequence number in the domain (MySQL: the transactions in <c>@@gtid_executed</c>).</summary>
    public ValueTask<ConsistencyToken> GetReplayPositionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        IsMariaDb(connection) ? MariaDbReplayPositionAsync(connection, cancellationToken) : MySqlReplayPositionAsync(connection, cancellationToken);

    /// <summary>
    /// <c>SELECT MASTER_GTID_WAIT('domain-0-sequence', seconds)</c> on the replica: true when it returns 0 (replayed), false on
    /// -1 (timed out). False at once for <see cref="MariaDbConsistencyTokens.PrimaryOnly"/> and on MySQL, whose tokens are
    /// always primary-only.
    /// </summary>
    public ValueTask<bool> WaitForReplayAsync(DbConnection replicaConnection, ConsistencyToken token, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replicaConnection);
        if (token.IsNone)
        {
            return new(true);
        }

        var position = MariaDbConsistencyTokens.ToWaitPosition(token, _domainId);
        return position is null || !IsMariaDb(replicaConnection)
            ? new(false)
            : MariaDbWaitAsync(replicaConnection, position, timeout, cancellationToken);
    }

    /// <summary>
    /// An unpooled connection with the node's settings and credentials, kept open by the router for probes only, so a
    /// probe never queues behind the application's pool (a saturated pool would otherwise make a working node look dead).
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

            // CloneWith keeps the password the data source holds even when its connection string omits it.
            return mySql.CloneWith(settings.ConnectionString);
        }
    }

    /// <summary>
    /// Empties the node's pool (<see cref="MySqlConnection.ClearPool"/>) when the probe's error means the server went away:
    /// the connection could not be made or broke (refused, reset, end of stream), or the server said it is shutting down.
    /// An overload refusal (1040 too many connections), a timeout or a query error keeps the pool.
    /// </summary>
    /// <param name="nodeDataSource">The node's data source; only a MySqlConnector one is cleared.</param>
    /// <param name="probeError">What the probe failed with.</param>
    /// <returns>Whether the pool was cleared.</returns>
    public bool ClearBrokenConnections(DbDataSource nodeDataSource, Exception probeError)
    {
        ArgumentNullException.ThrowIfNull(nodeDataSource);
        ArgumentNullException.ThrowIfNull(probeError);
        if (!MeansServerWentAway(probeError) || nodeDataSource is not MySqlDataSource || nodeDataSource.CreateConnection() is not MySqlConnection connection)
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
        MySqlException mySql => mySql.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.ServerShutdown
                or MySqlErrorCode.NormalShutdown
            || mySql.InnerException is IOException or System.Net.Sockets.SocketException or EndOfStreamException,
        IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    private bool IsMariaDb(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection is not MySqlConnection mySql)
        {
            throw new InvalidOperationException(
                $"The node's connection is a {connection.GetType().FullName}, not a MySqlConnector MySqlConnection; give MySQL/MariaDB nodes a MySqlDataSource or a MySqlConnector connection string.");
        }

        return _dialect switch
        {
            MySqlDialect.MariaDb => true,
            MySqlDialect.MySql => false,
            _ => mySql.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static DbCommand Command(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
