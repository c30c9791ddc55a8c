using System.Data.Common;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>A replica killed mid-query (SIGKILL) and started again, on private servers.</summary>
[Collection(PrivateReplicationTests.Name)]
public sealed class ReplicaFailureTests(PrivateReplication cluster)
{
    [Fact]
    public async Task A_killed_replica_fails_its_in_flight_query_then_reads_fall_back_to_the_primary_without_error_and_return_when_it_is_back()
    {
        var (primary, replica) = (cluster.Primary, cluster.Replica);
        await using var router = new ReadWriteRouter("replica-kill", Sql.Options(primary.ConnectionString, replica.ConnectionString));
        await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == replica.Port, TimeSpan.FromSeconds(10), "reads reaching the replica");
        await FillPoolAsync(router.Replica);

        try
        {
            // In-flight work on the replica gets the client's own error when the server vanishes.
            await using (var inFlight = await router.Replica.OpenConnectionAsync())
            {
                var query = Sql.ScalarAsync(inFlight, "SELECT SLEEP(30)");
                await Task.Delay(200);
                await replica.KillAsync();
                var error = await Assert.ThrowsAnyAsync<DbException>(() => query);
                Assert.IsType<MySqlException>(error);
            }

            // Every later read succeeds, on the primary: the first one that meets the dead replica ejects it and moves on.
            for (var i = 0; i < 30; i++)
            {
                Assert.Equal(primary.Port, await Sql.PortOfAsync(router.Replica));
            }

            Assert.False(router.GetNodes().Single(n => n.Name == "replica").IsHealthy);
        }
        finally
        {
            // The replica is shared with the other tests of the collection: leave it running.
            if (!await replica.IsUpAsync())
            {
                await replica.StartAsync();
            }
        }

        await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == replica.Port, TimeSpan.FromSeconds(20), "reads returning to the restarted replica");
        Assert.True(router.GetNodes().Single(n => n.Name == "replica").IsHealthy);

        // The probe's failure cleared the pool: no connection broken by the kill is handed out again.
        for (var i = 0; i < PoolFill * 2; i++)
        {
            await using var connection = await router.Replica.OpenConnectionAsync();
            Assert.Equal(1L, Sql.ToLong(await Sql.ScalarAsync(connection, "SELECT 1")));
        }

        await Sql.CatchUpAsync(primary.ConnectionString, replica.ConnectionString);
    }

    private const int PoolFill = 6;

    private static async Task FillPoolAsync(DbDataSource reads)
    {
        var connections = new List<DbConnection>();
        for (var i = 0; i < PoolFill; i++)
        {
            connections.Add(await reads.OpenConnectionAsync());
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }
}
