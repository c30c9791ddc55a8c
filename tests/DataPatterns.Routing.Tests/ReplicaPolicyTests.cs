using FsCheck;
using FsCheck.Fluent;

namespace DataPatterns.Routing.Tests;

public sealed class ReplicaPolicyTests
{
    [Fact]
    public async Task Round_robin_takes_each_replica_in_turn()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p"), FakeNode.Replica("a"), FakeNode.Replica("b"), FakeNode.Replica("c")]);
        var order = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            order.Add(await cluster.ReadAsync());
        }

        Assert.Equal(["a", "b", "c", "a", "b", "c", "a", "b", "c"], order);
    }

    [Fact]
    public async Task Random_spreads_reads_over_every_replica()
    {
        await using var cluster = new FakeCluster(o => o.ReplicaPolicy = NodeSelectionPolicy.Random, seed: 42,
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("a"), FakeNode.Replica("b")]);
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 1000; i++)
        {
            var node = await cluster.ReadAsync();
            counts[node] = counts.GetValueOrDefault(node) + 1;
        }

        Assert.InRange(counts["a"], 400, 600);
        Assert.InRange(counts["b"], 400, 600);
    }

    [Fact]
    public async Task Least_outstanding_picks_the_replica_with_fewest_open_connections()
    {
        await using var cluster = new FakeCluster(o => o.ReplicaPolicy = NodeSelectionPolicy.LeastOutstanding,
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("a"), FakeNode.Replica("b")]);
        await using var first = await cluster.Router.OpenConnectionAsync(RoutingIntent.Read);
        var busy = ((FakeConnection)first).Node.Name;
        var idle = busy == "a" ? "b" : "a";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(idle, await cluster.ReadAsync());
        }

        Assert.Equal(1, cluster.State(busy).OutstandingConnections);
        await first.DisposeAsync();
        Assert.Equal(0, cluster.State(busy).OutstandingConnections);
    }

    [Fact]
    public async Task Weighted_sends_reads_in_proportion_to_the_weights()
    {
        var nodes = new[] { FakeNode.Primary("p"), FakeNode.Replica("heavy"), FakeNode.Replica("light") };
        await using var cluster = new FakeCluster(
            o =>
            {
                o.ReplicaPolicy = NodeSelectionPolicy.Weighted;
                o.Nodes[1].Weight = 3;
            },
            seed: 3,
            nodes: nodes);
        var heavy = 0;
        for (var i = 0; i < 4000; i++)
        {
            heavy += await cluster.ReadAsync() == "heavy" ? 1 : 0;
        }

        Assert.InRange(heavy, 2800, 3200);
    }

    [FsCheck.Xunit.Property]
    public Property Every_policy_picks_only_among_the_candidates(NonEmptyArray<PositiveInt> weights, int seed, int policyNumber)
    {
        var policy = (NodeSelectionPolicy)(Math.Abs(policyNumber % 4));
        var nodes = weights.Get.Select((w, i) => new RoutingNode(i, new RoutingNodeOptions { Name = $"n{i}", Weight = w.Get }, FakeNode.Replica($"n{i}"), false)).ToArray();
        var selector = NodeSelector.Create(policy, new Random(seed));
        var candidates = Enumerable.Range(0, nodes.Length).Where(i => i % 2 == 0 || nodes.Length == 1).ToArray();
        var picks = Enumerable.Range(0, 20).Select(_ => selector.Pick(candidates, nodes)).ToArray();
        return picks.All(candidates.Contains).Label($"{policy} picked outside {string.Join(',', candidates)}: {string.Join(',', picks)}");
    }

    [FsCheck.Xunit.Property]
    public Property Round_robin_gives_every_candidate_the_same_share(PositiveInt candidateCount, PositiveInt rounds)
    {
        var count = (candidateCount.Get % 16) + 1;
        var turns = (rounds.Get % 10) + 1;
        var nodes = Enumerable.Range(0, count).Select(i => new RoutingNode(i, new RoutingNodeOptions { Name = $"n{i}" }, FakeNode.Replica($"n{i}"), false)).ToArray();
        var selector = NodeSelector.Create(NodeSelectionPolicy.RoundRobin, new Random(1));
        var candidates = Enumerable.Range(0, count).ToArray();
        var picks = Enumerable.Range(0, count * turns).Select(_ => selector.Pick(candidates, nodes)).GroupBy(i => i).ToArray();
        return (picks.Length == count && picks.All(g => g.Count() == turns)).ToProperty();
    }
}
