using Npgsql;

namespace DataPatterns.Benchmarks.Transactions;

/// <summary>
/// The benchmark databases on the primary ("payments") and node2 ("orders"), made once per process: a table
/// <c>bench</c> in a fresh <c>dp_bench_2pc</c> (prepared transactions an interrupted run left behind rolled back first).
/// Servers: DATAPATTERNS_PG_PRIMARY and DATAPATTERNS_PG_NODE2 (eng/services.sh up).
/// </summary>
internal static class BenchDatabases
{
    private const string Database = "dp_bench_2pc";
    private static readonly HashSet<string> Created = [];

    public static string Primary => Server("DATAPATTERNS_PG_PRIMARY", 55432);

    public static string Node2 => Server("DATAPATTERNS_PG_NODE2", 55434);

    public static async Task<string> CreateAsync(string server)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = Database, MaxPoolSize = 64 }.ConnectionString;
        if (Created.Contains(server))
        {
            // Every case runs in this process: the database of the first case is reused (dropping it would kill the pools).
            return connectionString;
        }

        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using (var exists = new NpgsqlCommand($"SELECT count(*) FROM pg_database WHERE datname = '{Database}'", admin))
            {
                if ((long)(await exists.ExecuteScalarAsync())! > 0)
                {
                    await RollBackLeftoversAsync(connectionString);
                }
            }

            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var table = new NpgsqlCommand("CREATE TABLE bench (id bigserial PRIMARY KEY, v int NOT NULL)", connection);
        await table.ExecuteNonQueryAsync();
        Created.Add(server);
        return connectionString;
    }

    /// <summary>An interrupted earlier run can leave prepared transactions, which keep the database from being dropped.</summary>
    private static async Task RollBackLeftoversAsync(string connectionString)
    {
        // Unpooled: the DROP ... WITH (FORCE) that follows ends this session, and a pooled one would be reused dead.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var gids = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT gid FROM pg_prepared_xacts WHERE database = current_database()", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                gids.Add(reader.GetString(0));
            }
        }

        foreach (var gid in gids)
        {
            await using var rollback = new NpgsqlCommand($"ROLLBACK PREPARED '{gid.Replace("'", "''", StringComparison.Ordinal)}'", connection);
            await rollback.ExecuteNonQueryAsync();
        }
    }

    private static string Server(string variable, int defaultPort) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : $"Host=127.0.0.1;Port={defaultPort};Username=postgres;Database=postgres";

    public static async Task InsertAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("INSERT INTO bench (v) VALUES (1)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
