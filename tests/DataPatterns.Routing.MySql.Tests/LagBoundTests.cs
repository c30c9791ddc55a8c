namespace DataPatterns.Routing.MySql.Tests;

/// <summary>A replica whose SQL thread is stopped falls behind and stops receiving reads once past MaxReplicaLag.</summary>
[Collection(PrivateReplicationTests.Name)]
public sealed class LagBoundTests(PrivateReplication cluster)
{
    [Fact]
    public async Task A_replica_with_its_sql_thread_stopped_gets_no_reads_once_past_the_bound_and_gets_them_again_when_it_catches_up()
    {
        var (primary, replica) = (cluster.Primary, cluster.Replica);
        var options = Sql.Options(primary.ConnectionString, replica.ConnectionString);
        options.ProbeInterval = TimeSpan.FromMilliseconds(100);
        options.MaxReplicaLag = TimeSpan.FromMilliseconds(500);
        await using var router = new ReadWriteRouter("lag", options);
        await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == replica.Port, TimeSpan.FromSeconds(10), "reads reaching the replica");

        await replica.ExecuteAsync("STOP SLAVE SQL_THREAD");
        try
        {
            await primary.ExecuteAsync("INSERT INTO events (at) VALUES (NOW(6))");

            await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == primary.Port, TimeSpan.FromSeconds(10), "reads leaving the lagging replica");
            var state = router.GetNodes().Single(n => n.Name == "replica");
            Assert.True(state.Lag > options.MaxReplicaLag, $"observed lag {state.Lag} should be past the bound");
            Assert.True(state.IsHealthy, "a lagging replica is healthy, only too far behind");
            Assert.True(state.LogPosition < router.GetNodes().Single(n => n.Name == "primary").LogPosition, "the GTID distance is what put it behind");
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(primary.Port, await Sql.PortOfAsync(router.Replica));
            }
        }
        finally
        {
            // The replica is shared with the other tests of the collection: leave it replicating.
            await replica.ExecuteAsync("START SLAVE SQL_THREAD");
        }

        await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == replica.Port, TimeSpan.FromSeconds(10), "reads returning to the caught-up replica");
        Assert.True(router.GetNodes().Single(n => n.Name == "replica").Lag <= options.MaxReplicaLag);
    }
}
