using System.Data.Common;
using Npgsql;
using NpgsqlTypes;

namespace DataPatterns.Routing.Npgsql;

/// <summary>
/// The PostgreSQL answers the router needs: <c>pg_is_in_recovery()</c> for the role, <c>pg_current_wal_lsn()</c> (primary)
/// or <c>pg_last_wal_replay_lsn()</c> (standby) for the position, <c>pg_current_wal_insert_lsn()</c> for read-your-writes tokens.
/// </summary>
public sealed class NpgsqlRoutingProbe : IRoutingProbe
{
    // One round trip: the role and the position that matters for that role.
    private const string ProbeSql =
        "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END";

    // The insert position covers every commit that has returned, even with synchronous_commit = off.
    private const string WritePositionSql = "SELECT pg_current_wal_insert_lsn()";

    private const string ReplayPositionSql = "SELECT pg_last_wal_replay_lsn()";

    /// <summary>The shared instance (the probe holds no state).</summary>
    public static NpgsqlRoutingProbe Instance { get; } = new();

    /// <inheritdoc />
    public async ValueTask<NodeProbeResult> ProbeAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, ProbeSql);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("The PostgreSQL role probe returned no row.");
            }

            var inRecovery = reader.GetBoolean(0);
            var position = reader.IsDBNull(1) ? ConsistencyToken.None : ToToken(reader.GetFieldValue<NpgsqlLogSequenceNumber>(1));
            return new NodeProbeResult(!inRecovery, position);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ConsistencyToken> GetWritePositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, WritePositionSql);
        try
        {
            return ToToken(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            throw new NoPrimaryAvailableException(
                "The node asked for the write position is a standby in recovery, not the primary; the router will find the new primary at its next probe, retry then.", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ConsistencyToken> GetReplayPositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, ReplayPositionSql);
        return ToToken(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// An unpooled connection to the node with the data source's settings and credentials, which the router keeps open
    /// for probes: a probe then never waits for a pooled connection behind the application's traffic, and it takes one
    /// server connection slot per node, opened once.
    /// </summary>
    /// <param name="nodeDataSource">The node's data source.</param>
    /// <returns>An unopened connection.</returns>
    public DbConnection CreateProbeConnection(DbDataSource nodeDataSource)
    {
        ArgumentNullException.ThrowIfNull(nodeDataSource);
        var pooled = nodeDataSource.CreateConnection();
        if (pooled is not NpgsqlConnection npgsql)
        {
            return pooled;
        }

        using (npgsql)
        {
            var settings = new NpgsqlConnectionStringBuilder(npgsql.ConnectionString)
            {
                Pooling = false,
                ApplicationName = "DataPatterns.Routing probe",
            };

            // CloneWith carries the password (and certificate callbacks) the data source holds but its string omits.
            return npgsql.CloneWith(settings.ConnectionString);
        }
    }

    /// <summary>
    /// Clears the node's pool (<see cref="NpgsqlDataSource.Clear"/>) when the probe's error means the server went away:
    /// the connection broke (an I/O error or end of stream), could not be made (refused, unreachable), or PostgreSQL said
    /// it is shutting down (57P01 <c>admin_shutdown</c>, 57P02 <c>crash_shutdown</c>). An overload refusal (53300, 57P03)
    /// or a timeout keeps the pool.
    /// </summary>
    /// <param name="nodeDataSource">The node's data source; only an <see cref="NpgsqlDataSource"/> is cleared.</param>
    /// <param name="probeError">What the probe failed with.</param>
    /// <returns>Whether the pool was cleared.</returns>
    public bool ClearBrokenConnections(DbDataSource nodeDataSource, Exception probeError)
    {
        ArgumentNullException.ThrowIfNull(nodeDataSource);
        ArgumentNullException.ThrowIfNull(probeError);
        if (nodeDataSource is not NpgsqlDataSource npgsql || !MeansServerWentAway(probeError))
        {
            return false;
        }

        npgsql.Clear();
        return true;
    }

    internal static bool MeansServerWentAway(Exception error) => error switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown,
        NpgsqlException npgsql => npgsql.InnerException is IOException or System.Net.Sockets.SocketException,
        IOException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    /// <summary>Converts an Npgsql LSN to a token (the same 64-bit position and the same text form).</summary>
    /// <param name="lsn">The LSN.</param>
    public static ConsistencyToken ToToken(NpgsqlLogSequenceNumber lsn) => new((ulong)lsn);

    /// <summary>Converts a token to an Npgsql LSN, for queries that take a <c>pg_lsn</c> parameter.</summary>
    /// <param name="token">The token.</param>
    public static NpgsqlLogSequenceNumber ToLogSequenceNumber(ConsistencyToken token) => new(token.Position);

    private static ConsistencyToken ToToken(object? value) => value switch
    {
        NpgsqlLogSequenceNumber lsn => ToToken(lsn),
        null or DBNull => ConsistencyToken.None,
        _ => throw new InvalidOperationException($"PostgreSQL returned {value.GetType().Name} where a pg_lsn was expected."),
    };

    private static DbCommand Command(DbConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
