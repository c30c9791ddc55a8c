using DataPatterns.Testing;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>A replica whose replay is paused falls behind and stops receiving reads once past MaxReplicaLag.</summary>
[Collection(PrivateClusterTests.Name)]
public sealed class LagBoundTests(PrivateCluster cluster)
{
    [Fact]
    public async Task A_replica_with_replay_paused_gets_no_reads_once_past_the_bound_and_gets_them_again_when_it_catches_up()
    {
        var (primary, replica) = (cluster.Primary, cluster.ReplicaB);
        var options = Sql.Options(primary.ConnectionString, replica.ConnectionString);
        options.ProbeInterval = TimeSpan.FromMilliseconds(100);
        options.MaxReplicaLag = TimeSpan.FromMilliseconds(500);
        await using var router = new ReadWriteRouter("lag", options);
        await Sql.ExecuteAsync(primary.ConnectionString, "CREATE TABLE IF NOT EXISTS events (id serial PRIMARY KEY)");
        await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == replica.Port, TimeSpan.FromSeconds(10), "reads reaching the replica");

        await Sql.ExecuteAsync(replica.ConnectionString, "SELECT pg_wal_replay_pause()");
        try
        {
            await Sql.ExecuteAsync(primary.ConnectionString, "INSERT INTO events DEFAULT VALUES");

            await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == primary.Port, TimeSpan.FromSeconds(10), "reads leaving the lagging replica");
            var state = router.GetNodes().Single(n => n.Name == "replica");
            Assert.True(state.Lag > options.MaxReplicaLag, $"observed lag {state.Lag} should be past the bound");
            Assert.True(state.IsHealthy, "a lagging replica is healthy, only too far behind");
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(primary.Port, await Sql.PortOfAsync(router.Replica));
            }
        }
        finally
        {
            // The replica is shared with the other tests of the collection: leave it replaying.
            await Sql.ExecuteAsync(replica.ConnectionString, "SELECT pg_wal_replay_resume()");
        }

        await Sql.EventuallyAsync(async () => await Sql.PortOfAsync(router.Replica) == replica.Port, TimeSpan.FromSeconds(10), "reads returning to the caught-up replica");
        Assert.True(router.GetNodes().Single(n => n.Name == "replica").Lag <= options.MaxReplicaLag);
    }
}
