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
