using MySqlConnector;

namespace DataPatterns.Benchmarks.Transactions;

/// <summary>
/// The MariaDB side of the cross-engine benchmarks: a table <c>bench</c> in a fresh <c>dp_bench_xa</c> on the MariaDB
/// primary (XA branches an interrupted run left prepared are rolled back first, or they would hold their locks for
/// good). Server: DATAPATTERNS_MARIADB_PRIMARY (eng/services.sh up). PostgreSQL comes from <see cref="BenchDatabases"/>.
/// </summary>
internal static class CrossEngineBenchDatabases
{
    private const string Database = "dp_bench_xa";

    /// <summary>The start of every XA id the bare floor prepares (left-overs are found by it).</summary>
    public const string BareXidPrefix = "dpbenchxa-";

    public static string MariaDbPrimary =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_MARIADB_PRIMARY") is { Length: > 0 } value
            ? value
            : "Server=127.0.0.1;Port=53306;User ID=root;Password=;Database=datapatterns";

    public static async Task<string> CreateAsync(string server)
    {
        var connectionString = new MySqlConnectionStringBuilder(server) { Database = Database, MaximumPoolSize = 64 }.ConnectionString;
        await using var admin = new MySqlConnection(new MySqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await RollBackLeftoversAsync(admin);
        await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS `{Database}`; CREATE DATABASE `{Database}`; " +
            $"CREATE TABLE `{Database}`.`bench` (`id` BIGINT AUTO_INCREMENT PRIMARY KEY, `v` INT NOT NULL) ENGINE=InnoDB");
        return connectionString;
    }

    /// <summary>One insert; MySqlConnector wants the connection's local transaction, when there is one, on the command.</summary>
    public static async Task InsertAsync(MySqlConnection connection, MySqlTransaction? transaction = null)
    {
        await using var command = new MySqlCommand("INSERT INTO `bench` (`v`) VALUES (1)", connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Rolls back the bare floor's XA branches that an interrupted run left prepared.</summary>
    private static async Task RollBackLeftoversAsync(MySqlConnection connection)
    {
        var xids = new List<string>();
        await using (var recover = new MySqlCommand("XA RECOVER", connection))
        await using (var reader = await recover.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var data = System.Text.Encoding.ASCII.GetString((byte[])reader.GetValue(3));
                if (data.StartsWith(BareXidPrefix, StringComparison.Ordinal) && data.All(static c => char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    xids.Add(data);
                }
            }
        }

        foreach (var xid in xids)
        {
            await ExecuteAsync(connection, $"XA ROLLBACK '{xid}'");
        }
    }
}
