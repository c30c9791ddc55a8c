using Npgsql;

namespace DataPatterns.Testing.Tests;

public sealed class PreparedTransactionTests
{
    public static TheoryData<string> TwoPhaseCommitServers => new() { "primary", "node2" };

    [Theory]
    [MemberData(nameof(TwoPhaseCommitServers))]
    public async Task Prepare_transaction_is_enabled(string serverName)
    {
        var server = ByName(serverName);
        var slots = Convert.ToInt32(await ServerConnections.ScalarAsync(server, "SHOW max_prepared_transactions"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(slots > 0, $"{serverName}: max_prepared_transactions is {slots}; eng/services.sh must set it above 0.");
    }

    [Theory]
    [MemberData(nameof(TwoPhaseCommitServers))]
    public async Task A_prepared_transaction_survives_its_connection_and_commits_later(string serverName)
    {
        var server = ByName(serverName);
        await using var database = await TemporaryDatabase.CreateAsync(server, "prepare");
        var gid = $"dp-test:{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, "CREATE TABLE t (id int PRIMARY KEY)");
            await ExecuteAsync(connection, "BEGIN");
            await ExecuteAsync(connection, "INSERT INTO t VALUES (1)");
            await ExecuteAsync(connection, $"PREPARE TRANSACTION '{gid}'");
        }

        await using (var other = new NpgsqlConnection(database.ConnectionString))
        {
            await other.OpenAsync();
            Assert.Equal(0L, await ScalarAsync(other, "SELECT count(*) FROM t"));
            Assert.Equal(1L, await ScalarAsync(other, $"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'"));

            await ExecuteAsync(other, $"COMMIT PREPARED '{gid}'");

            Assert.Equal(1L, await ScalarAsync(other, "SELECT count(*) FROM t"));
            Assert.Equal(0L, await ScalarAsync(other, $"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'"));
        }
    }

    private static TestServer ByName(string name) => name switch
    {
        "primary" => TestServers.Primary,
        "node2" => TestServers.Node2,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown server."),
    };

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
