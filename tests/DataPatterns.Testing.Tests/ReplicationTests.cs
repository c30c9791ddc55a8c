using System.Diagnostics;
using Npgsql;

namespace DataPatterns.Testing.Tests;

public sealed class ReplicationTests
{
    [Fact]
    public async Task Replica_is_in_recovery_and_the_primary_is_not()
    {
        Assert.Equal(true, await ServerConnections.ScalarAsync(TestServers.Replica, "SELECT pg_is_in_recovery()"));
        Assert.Equal(false, await ServerConnections.ScalarAsync(TestServers.Primary, "SELECT pg_is_in_recovery()"));
    }

    [Fact]
    public async Task A_write_on_the_primary_is_visible_on_the_replica_within_two_seconds()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "replication");
        var marker = Guid.NewGuid();
        await using (var primary = new NpgsqlConnection(database.ConnectionString))
        {
            await primary.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE marker (id uuid PRIMARY KEY)", primary);
            await create.ExecuteNonQueryAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO marker VALUES (@id)", primary);
            insert.Parameters.AddWithValue("id", marker);
            await insert.ExecuteNonQueryAsync();
        }

        var replicaConnectionString = database.ConnectionStringOn(TestServers.Replica);
        var clock = Stopwatch.StartNew();
        var seen = false;
        while (!seen && clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            seen = await ReplicaHasMarkerAsync(replicaConnectionString, marker);
            if (!seen)
            {
                await Task.Delay(20);
            }
        }

        Assert.True(seen, $"The replica did not show the primary's write within 2 s (waited {clock.ElapsedMilliseconds} ms).");
    }

    [Fact]
    public async Task The_replica_refuses_writes()
    {
        await using var connection = await ServerConnections.OpenPostgresAsync(TestServers.Replica);
        await using var command = new NpgsqlCommand("CREATE TABLE must_fail (id int)", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, error.SqlState);
    }

    private static async Task<bool> ReplicaHasMarkerAsync(string connectionString, Guid marker)
    {
        try
        {
            await using var replica = new NpgsqlConnection(connectionString);
            await replica.OpenAsync();
            await using var select = new NpgsqlCommand("SELECT count(*) FROM marker WHERE id = @id", replica);
            select.Parameters.AddWithValue("id", marker);
            return (long)(await select.ExecuteScalarAsync())! == 1;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable)
        {
            return false; // the database or table itself has not been replayed yet
        }
    }
}
