using System.Data.Common;
using System.Globalization;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// What a replica says of its replication channels (<c>SHOW ALL SLAVES STATUS</c> on MariaDB, <c>SHOW REPLICA STATUS</c>
/// on MySQL): whether every channel's I/O and SQL threads run, and the largest <c>Seconds_Behind_Master</c> a running
/// channel reports.
/// </summary>
internal readonly record struct ReplicationStatus(int Channels, bool AllRunning, TimeSpan? SecondsBehind)
{
    public static ReplicationStatus None => new(0, AllRunning: false, SecondsBehind: null);

    /// <summary>Reads every row of the status result (one per channel).</summary>
    public static async ValueTask<ReplicationStatus> ReadAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var io = Ordinal(reader, "Slave_IO_Running", "Replica_IO_Running");
        var sql = Ordinal(reader, "Slave_SQL_Running", "Replica_SQL_Running");
        var behind = Ordinal(reader, "Seconds_Behind_Master", "Seconds_Behind_Source");
        if (io < 0 || sql < 0 || behind < 0)
        {
            throw new InvalidOperationException("The replica status has no I/O thread, SQL thread or seconds-behind column; is the node a MariaDB 10.x or MySQL 8 server?");
        }

        var channels = 0;
        var allRunning = true;
        TimeSpan? worst = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            channels++;
            var running = IsYes(reader, io) && IsYes(reader, sql);
            allRunning &= running;
            if (running && !reader.IsDBNull(behind))
            {
                var seconds = TimeSpan.FromSeconds(Convert.ToDouble(reader.GetValue(behind), CultureInfo.InvariantCulture));
                worst = worst is { } w && w >= seconds ? w : seconds;
            }
        }

        return new ReplicationStatus(channels, channels > 0 && allRunning, worst);
    }

    private static bool IsYes(DbDataReader reader, int ordinal) =>
        !reader.IsDBNull(ordinal) && string.Equals(reader.GetValue(ordinal).ToString(), "Yes", StringComparison.OrdinalIgnoreCase);

    private static int Ordinal(DbDataReader reader, string name, string alternative)
    {
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var field = reader.GetName(i);
            if (string.Equals(field, name, StringComparison.OrdinalIgnoreCase) || string.Equals(field, alternative, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
