using System.Data.Common;

namespace DataPatterns.Routing.MySql;

// The MySQL 8 queries (not tested here: the machine runs MariaDB only). Role from read_only and super_read_only, the lag
// position from the size of @@gtid_executed, Seconds_Behind_Source reported; read-your-writes tokens are primary-only.
public sealed partial class MySqlRoutingProbe
{
    private const string MySqlProbeSql =
        "SELECT @@global.read_only, @@global.super_read_only, @@global.gtid_executed; SHOW REPLICA STATUS";

    private const string MySqlReadOnlySql = "SELECT @@global.read_only, @@global.super_read_only";

    private const string MySqlReplayPositionSql = "SELECT @@global.gtid_executed";

    private static async ValueTask<NodeProbeResult> ProbeMySqlAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, MySqlProbeSql);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("The MySQL role probe returned no row.");
            }

            var readOnly = ServerValues.IsReadOnly(reader.GetValue(0)) || ServerValues.IsReadOnly(reader.GetValue(1));
            var executed = MySqlGtidSet.CountTransactions(reader.GetValue(2)?.ToString() ?? "");
            var replication = await reader.NextResultAsync(cancellationToken).ConfigureAwait(false)
                ? await ReplicationStatus.ReadAsync(reader, cancellationToken).ConfigureAwait(false)
                : ReplicationStatus.None;
            return new NodeProbeResult(!readOnly, new ConsistencyToken(Math.Min(executed, ulong.MaxValue - 1)))
            {
                ReportedLag = readOnly ? replication.SecondsBehind : null,
            };
        }
    }

    private static async ValueTask<ConsistencyToken> MySqlWritePositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, MySqlReadOnlySql);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                && (ServerValues.IsReadOnly(reader.GetValue(0)) || ServerValues.IsReadOnly(reader.GetValue(1))))
            {
                throw new NoPrimaryAvailableException(
                    "The node asked for the write position is read-only (a replica, or a primary being failed over); the router finds the writable node at its next probe, retry then.");
            }
        }

        // A GTID set (source uuid and intervals) has no exact one-number form: the read after a write goes to the primary.
        return MariaDbConsistencyTokens.PrimaryOnly;
    }

    private static async ValueTask<ConsistencyToken> MySqlReplayPositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, MySqlReplayPositionSql);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return new ConsistencyToken(Math.Min(MySqlGtidSet.CountTransactions(value?.ToString() ?? ""), ulong.MaxValue - 1));
    }
}
