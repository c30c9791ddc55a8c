using System.Data.Common;
using System.Globalization;
using MySqlConnector;

namespace DataPatterns.Routing.MySql;

// The MariaDB queries: one round trip per probe (the variables, then every replication channel's status).
public sealed partial class MySqlRoutingProbe
{
    private const string MariaDbProbeSql =
        "SELECT @@global.read_only, @@global.gtid_binlog_pos, @@global.gtid_slave_pos; SHOW ALL SLAVES STATUS";

    private const string MariaDbWritePositionSql = "SELECT @@global.read_only, @@global.gtid_binlog_pos";

    private const string MariaDbReplayPositionSql = "SELECT @@global.gtid_slave_pos";

    private const string MariaDbWaitSql = "SELECT MASTER_GTID_WAIT(@position, @seconds)";

    private async ValueTask<NodeProbeResult> ProbeMariaDbAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, MariaDbProbeSql);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("The MariaDB role probe returned no row.");
            }

            var readOnly = ServerValues.IsReadOnly(reader.GetValue(0));
            var binlog = ServerValues.GtidPosition(reader.GetValue(1), "@@gtid_binlog_pos");
            var replayed = ServerValues.GtidPosition(reader.GetValue(2), "@@gtid_slave_pos");
            var replication = await reader.NextResultAsync(cancellationToken).ConfigureAwait(false)
                ? await ReplicationStatus.ReadAsync(reader, cancellationToken).ConfigureAwait(false)
                : ReplicationStatus.None;
            if (!readOnly)
            {
                return new NodeProbeResult(IsWritable: true, new ConsistencyToken(binlog.SequenceOf(_domainId)));
            }

            return new NodeProbeResult(IsWritable: false, MariaDbConsistencyTokens.FromReplayPosition(replayed, _domainId))
            {
                ReportedLag = replication.SecondsBehind,
            };
        }
    }

    private async ValueTask<ConsistencyToken> MariaDbWritePositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, MariaDbWritePositionSql);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("The MariaDB write position query returned no row.");
            }

            if (ServerValues.IsReadOnly(reader.GetValue(0)))
            {
                throw new NoPrimaryAvailableException(
                    "The node asked for the write position is read-only (a replica, or a primary being failed over); the router finds the writable node at its next probe, retry then.");
            }

            return MariaDbConsistencyTokens.FromWritePosition(ServerValues.GtidPosition(reader.GetValue(1), "@@gtid_binlog_pos"), _domainId);
        }
    }

    private async ValueTask<ConsistencyToken> MariaDbReplayPositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, MariaDbReplayPositionSql);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return MariaDbConsistencyTokens.FromReplayPosition(ServerValues.GtidPosition(value, "@@gtid_slave_pos"), _domainId);
    }

    private static async ValueTask<bool> MariaDbWaitAsync(DbConnection connection, string position, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, MariaDbWaitSql);
        command.Parameters.Add(new MySqlParameter("@position", position));
        command.Parameters.Add(new MySqlParameter("@seconds", Math.Max(0, timeout.TotalSeconds)));
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value switch
        {
            null or DBNull => throw new InvalidOperationException($"MASTER_GTID_WAIT('{position}') returned NULL; the server did not accept the position."),
            _ => Convert.ToInt64(value, CultureInfo.InvariantCulture) == 0,
        };
    }
}
