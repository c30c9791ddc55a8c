using System.Data.Common;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>A replica that dies mid-query and comes back, on private servers.</summary>
[Collection(PrivateClusterTests.Name)]
public sealed class ReplicaFailureTests(PrivateCluster cluster)
{
    [Fact]
    public async Task A_stopped_replica_fails_its_in_flight_query_then_reads_fall_back_to_the_primary_and_return_when_it_restarts()
    {
        var (primary, replica) = (cluster.Primary, cluster.ReplicaA);
        await using var router = new ReadWriteRouter("replica-stop", Sql.Options(primary.ConnectionString, replica.ConnectionString));
        Assert.Equal(replica.Port, await Sql.PortOfAsync(router.Replica));

        try
        {
            await StopMidQueryFallBackAndRestartAsync(router, primary, replica);
        }
        finally
        {
            // The replica is shared with the other tests of the collection: leave it running.
            if (!await replica.IsUpAsync())
            {
                await replica.StartAsync();
            }
        }
    }

    [Fact]
    public async Task After_a_restart_the_router_has_dropped_the_broken_connections_of_the_nodes_pool_and_a_pool_it_does_not_probe_still_holds_them()
    {
        var (primary, replica) = (cluster.Primary, cluster.ReplicaA);
        await using var probed = NpgsqlDataSource.Create(Sql.Pooled(replica.ConnectionString));
        await using var unprobed = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(Sql.Pooled(replica.ConnectionString)) { ApplicationName = "not-probed" }.ConnectionString);
        var options = new ReadWriteRouterOptions
        {
            ProbeInterval = TimeSpan.FromMilliseconds(200),
            ProbeTimeout = TimeSpan.FromSeconds(10),
            EjectionCooldown = TimeSpan.FromMilliseconds(500),
        }
        .AddNode("primary", Sql.Pooled(primary.ConnectionString))
        .AddNode("replica", probed)
        .UseNpgsql();
        await using var router = new ReadWriteRouter("replica-restart-pool", options);
        await FillPoolAsync(probed);
        await FillPoolAsync(unprobed);

        try
        {
            await replica.StopAsync(immediate: true);
            await replica.StartAsync();
            await Sql.EventuallyAsync(
                () => Task.FromResult(router.GetNodes().Single(n => n.Name == "replica").IsHealthy),
                TimeSpan.FromSeconds(15),
                "the restarted replica back in rotation");
        }
        finally
        {
            if (!await replica.IsUpAsync())
            {
                await replica.StartAsync();
            }
        }

        // Each broken connection would fail one query; the router's probe met the restart and cleared its node's pool.
        Assert.Equal(0, await FailuresOfQueriesAsync(probed));
        Assert.True(await FailuresOfQueriesAsync(unprobed) > 0, "the control pool kept no broken connection: the test proves nothing");
    }

    private const int PoolFill = 6;

    // Connections open at once, then all returned: the pool holds this many idle ones.
    private static async Task FillPoolAsync(NpgsqlDataSource dataSource)
    {
        var connections = new List<NpgsqlConnection>();
        for (var i = 0; i < PoolFill; i++)
        {
            connections.Add(await dataSource.OpenConnectionAsync());
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }

    private static async Task<int> FailuresOfQueriesAsync(NpgsqlDataSource dataSource)
    {
        var failures = 0;
        for (var i = 0; i < PoolFill * 2; i++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                await Sql.ScalarAsync(connection, "SELECT 1");
            }
            catch (NpgsqlException)
            {
                failures++;
            }
        }

        return failures;
    }

    private static async Task StopMidQueryFallBackAndRestartAsync(ReadWriteRouter router, PrivatePostgres primary, PrivatePostgres replica)
    {
        // In-flight work on the replica gets the database client's own error when the server goes away.
        await using (var inFlight = await router.Replica.OpenConnectionAsync())
        {
            var query = Sql.ScalarAsync(inFlight, "SELECT pg_sleep(30)");
            await Task.Delay(200);
            await replica.StopAsync(immediate: true);
            var error = await Assert.ThrowsAnyAsync<DbException>(() => query);
            Assert.IsAssignableFrom<NpgsqlException>(error);
        }

        // Every later read succeeds, on the primary: the first one that meets the dead replica ejects it and moves on.
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(primary.Port, await Sql.PortOfAsync(router.Replica));
        }

        Assert.False(router.GetNodes().Single(n => n.Name == "replica").IsHealthy);

        await replica.StartAsync();
        await Sql.EventuallyAsync(
            async () => await Sql.PortOfAsync(router.Replica) == replica.Port,
            TimeSpan.FromSeconds(15),
            "reads returning to the restarted replica");
        Assert.True(router.GetNodes().Single(n => n.Name == "replica").IsHealthy);
    }
}
