using DataPatterns.Testing;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>Reads go where each policy says, over two real replicas of one primary (private servers: the shared set has one replica).</summary>
[Collection(PrivateClusterTests.Name)]
public sealed class ReplicaPolicyTests(PrivateCluster cluster)
{
    [Fact]
    public async Task Round_robin_least_outstanding_and_weighted_send_reads_to_the_replicas_they_name()
    {
        var (primary, first, second) = (cluster.Primary, cluster.ReplicaA, cluster.ReplicaB);

        // Round-robin: each replica in turn.
        await using (var router = new ReadWriteRouter("round-robin", Options(primary, first, second, NodeSelectionPolicy.RoundRobin)))
        {
            var ports = new List<int>();
            for (var i = 0; i < 6; i++)
            {
                ports.Add(await Sql.PortOfAsync(router.Replica));
            }

            Assert.Equal([first.Port, second.Port, first.Port, second.Port, first.Port, second.Port], ports);
            Assert.Equal(primary.Port, await Sql.PortOfAsync(router.Primary));
        }

        // Least outstanding: while a connection to one replica is open, reads go to the other.
        await using (var router = new ReadWriteRouter("least-outstanding", Options(primary, first, second, NodeSelectionPolicy.LeastOutstanding)))
        {
            await using var held = await router.Replica.OpenConnectionAsync();
            var busy = await Sql.ServerPortAsync(held);
            var idle = busy == first.Port ? second.Port : first.Port;
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(idle, await Sql.PortOfAsync(router.Replica));
            }
        }

        // Weighted 3:1: about three reads in four on the heavier replica.
        var weighted = Options(primary, first, second, NodeSelectionPolicy.Weighted);
        weighted.Nodes[1].Weight = 3;
        await using (var router = new ReadWriteRouter("weighted", weighted))
        {
            var onHeavy = 0;
            for (var i = 0; i < 400; i++)
            {
                onHeavy += await Sql.PortOfAsync(router.Replica) == first.Port ? 1 : 0;
            }

            Assert.InRange(onHeavy, 240, 360); // expected 300; far outside any plausible run of a fair 3:1 draw
        }
    }

    private static ReadWriteRouterOptions Options(PrivatePostgres primary, PrivatePostgres first, PrivatePostgres second, NodeSelectionPolicy policy)
    {
        var options = Sql.Options(primary.ConnectionString, first.ConnectionString, NodeRole.Primary);
        options.AddNode("replica-b", Sql.Pooled(second.ConnectionString), NodeRole.Replica);
        options.ReplicaPolicy = policy;
        options.ProbeInterval = TimeSpan.FromSeconds(5);
        return options;
    }
}
