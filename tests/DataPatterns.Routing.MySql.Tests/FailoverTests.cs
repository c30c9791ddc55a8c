using System.Data.Common;
using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>
/// The primary is killed (SIGKILL), the replica promoted, and writes go on through the same router; the old primary comes
/// back writable (read_only OFF in its configuration) beside the promoted one, and the router keeps writing to the promoted one.
/// </summary>
public sealed class FailoverTests
{
    [Fact]
    public async Task After_the_primary_is_killed_and_the_replica_promoted_writes_resume_and_the_old_primary_back_writable_is_demoted()
    {
        await using var primary = await PrivateMariaDb.StartNewAsync("rt-fo-pri");
        await using var standby = await primary.StartReplicaAsync("rt-fo-rep");
        var options = Sql.Options(primary.ConnectionString, standby.ConnectionString);
        await using var router = new ReadWriteRouter("failover", options);

        await using (var write = await router.Primary.OpenConnectionAsync())
        {
            await Sql.ScalarAsync(write, "CREATE TABLE payments (id INT PRIMARY KEY)");
            Assert.Equal(primary.Port, await Sql.ServerPortAsync(write));
        }

        await Sql.CatchUpAsync(primary.ConnectionString, standby.ConnectionString);
        await KillMidQueryAsync(router, primary);

        // Until the replica is promoted there is no primary, and the router says so with its type.
        var none = await Assert.ThrowsAsync<NoPrimaryAvailableException>(async () => await router.Primary.OpenConnectionAsync());
        Assert.Contains("'failover'", none.Message, StringComparison.Ordinal);

        await standby.PromoteAsync();
        await using (var write = await router.Primary.OpenConnectionAsync())
        {
            await Sql.ScalarAsync(write, "INSERT INTO payments VALUES (1)");
            Assert.Equal(standby.Port, await Sql.ServerPortAsync(write));
        }

        Assert.Equal(NodeRole.Primary, router.GetNodes().Single(n => n.Name == "replica").Role);

        // The old primary restarts with read_only OFF: two writable nodes. The router keeps the one it follows and demotes the other.
        await primary.StartAsync();
        await Sql.EventuallyAsync(
            () => Task.FromResult(router.GetNodes().Single(n => n.Name == "primary") is { IsHealthy: true, IsDemoted: true, Role: NodeRole.Primary }),
            TimeSpan.FromSeconds(20),
            "the old primary answering as writable and being demoted");
        for (var i = 2; i < 12; i++)
        {
            await using var write = await router.Primary.OpenConnectionAsync();
            await Sql.ScalarAsync(write, $"INSERT INTO payments VALUES ({i})");
            Assert.Equal(standby.Port, await Sql.ServerPortAsync(write));
        }

        // No replica is left: reads fall back to the promoted primary, never to the demoted old one.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(standby.Port, await Sql.PortOfAsync(router.Replica));
        }

        Assert.Equal(0L, Sql.ToLong(await Sql.ScalarAsync(primary.ConnectionString, "SELECT COUNT(*) FROM payments WHERE id > 1")));
    }

    private static async Task KillMidQueryAsync(ReadWriteRouter router, PrivateMariaDb primary)
    {
        await using var inFlight = await router.Primary.OpenConnectionAsync();
        var query = Sql.ScalarAsync(inFlight, "SELECT SLEEP(30)");
        await Task.Delay(200);
        await primary.KillAsync();
        var error = await Assert.ThrowsAnyAsync<DbException>(() => query);
        Assert.IsType<MySqlException>(error);
    }
}
