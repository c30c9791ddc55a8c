using Npgsql;

namespace DataPatterns.Testing.Tests;

/// <summary>The private servers that fault tests stop, kill and promote behave like real ones.</summary>
public sealed class ServerControlTests
{
    [Fact]
    public async Task A_private_server_refuses_connections_when_stopped_and_answers_again_after_start()
    {
        await using var server = await PrivatePostgres.StartNewAsync("control");
        Assert.True(await server.IsUpAsync());

        await server.StopAsync();
        Assert.False(await server.IsUpAsync());
        await Assert.ThrowsAsync<ServerUnavailableException>(() => ServerConnections.ScalarAsync(server.Server, "SELECT 1"));

        await server.StartAsync();
        Assert.True(await server.IsUpAsync());
    }

    [Fact]
    public async Task A_private_replica_streams_and_can_be_promoted_after_its_primary_is_killed()
    {
        await using var primary = await PrivatePostgres.StartNewAsync("control-primary");
        await using var replica = await primary.StartReplicaAsync("control-replica");
        Assert.Equal(true, await ServerConnections.ScalarAsync(replica.Server, "SELECT pg_is_in_recovery()"));

        await using (var connection = new NpgsqlConnection(primary.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE before_failover (id int); INSERT INTO before_failover VALUES (42); SELECT pg_current_wal_lsn()::text", connection);
            await command.ExecuteNonQueryAsync();
        }

        await primary.KillAsync();
        Assert.False(await primary.IsUpAsync());
        await replica.PromoteAsync();

        Assert.Equal(false, await ServerConnections.ScalarAsync(replica.Server, "SELECT pg_is_in_recovery()"));
        // What the primary had sent is on the new primary, which now takes writes.
        Assert.Equal(1L, await ServerConnections.ScalarAsync(replica.Server, "INSERT INTO before_failover VALUES (43); SELECT count(*) FROM before_failover WHERE id = 42"));
    }

    [Fact]
    public async Task A_private_redis_stops_answering_when_killed_and_answers_after_restart()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        await using (var connection = await ServerConnections.ConnectRedisAsync(redis.Server))
        {
            Assert.True(await connection.GetDatabase().StringSetAsync("k", "v"));
        }

        await redis.KillAsync();
        await Assert.ThrowsAsync<ServerUnavailableException>(() => ServerConnections.ConnectRedisAsync(redis.Server));

        await redis.StartAsync();
        await using var again = await ServerConnections.ConnectRedisAsync(redis.Server);
        Assert.True((await again.GetDatabase().StringGetAsync("k")).IsNull, "a killed Redis without persistence comes back empty");
    }
}
