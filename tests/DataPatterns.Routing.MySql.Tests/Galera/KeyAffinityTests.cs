using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>The key to node mapping of the writer: the same everywhere, and moving only the keys of a node that leaves.</summary>
public sealed class KeyAffinityTests
{
    private static readonly string[] Cluster = ["galera1", "galera2", "galera3", "galera4", "galera5"];

    [Property(MaxTest = 300)]
    public Property The_same_key_picks_the_same_node_whatever_the_order_a_process_lists_the_nodes_in(NonEmptyString key, int seed)
    {
        var shuffled = Cluster.OrderBy(_ => new Random(seed).Next()).ToArray();
        return (RendezvousHashing.Pick(key.Get, Cluster) == RendezvousHashing.Pick(key.Get, shuffled)).ToProperty();
    }

    [Property(MaxTest = 300)]
    public Property Removing_a_node_moves_only_the_keys_it_held(NonEmptyString key, PositiveInt removedIndex)
    {
        var removed = Cluster[removedIndex.Get % Cluster.Length];
        var before = RendezvousHashing.Pick(key.Get, Cluster);
        var after = RendezvousHashing.Pick(key.Get, [.. Cluster.Where(n => n != removed)]);
        return (before == removed ? after != removed : after == before).ToProperty();
    }

    [Fact]
    public void Keys_spread_over_every_node_and_the_mapping_is_pinned_across_releases()
    {
        var counts = Enumerable.Range(0, 3000).GroupBy(i => RendezvousHashing.Pick($"order:{i}", Cluster)).ToDictionary(g => g.Key!, g => g.Count());

        Assert.Equal(Cluster.Length, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, 450, 750));

        // XxHash3 of fixed bytes: a change here moves keys between nodes for every deployed process; it must be deliberate.
        Assert.Equal(RendezvousHashing.Pick("account:42", Cluster), RendezvousHashing.Pick("account:42", [.. Cluster.Reverse()]));
        Assert.Equal(PinnedNodeOfAccount42, RendezvousHashing.Pick("account:42", Cluster));
    }

    [Fact]
    [Trait("Category", "Galera")]
    public async Task Two_routers_that_list_the_nodes_in_different_orders_send_a_key_to_the_same_node()
    {
        await using var first = await GaleraTestCluster.StartAsync("order1", nodeOrder: [0, 1, 2]);
        await using var second = await GaleraTestCluster.StartAsync("order2", nodeOrder: [2, 0, 1]);

        for (var i = 0; i < 50; i++)
        {
            var key = $"customer:{i}";
            Assert.Equal(first.Writer.NodeFor(key), second.Writer.NodeFor(key));
        }

        await using var connection = await first.Writer.OpenConnectionAsync("customer:7");
        Assert.Equal(GaleraTestCluster.PortOf(TestServers.Galera.Single(s => s.Name == first.Writer.NodeFor("customer:7"))), await GaleraTestCluster.PortOfAsync(connection));
    }

    [Fact]
    public async Task A_writer_refuses_an_empty_key_and_a_node_without_a_data_source()
    {
        await using var galera = new MySqlDataSource(TestServers.Galera[0].ConnectionString);
        await using var router = new ReadWriteRouter("bad-input", new ReadWriteRouterOptions().AddNode("galera1", galera).UseGalera());
        var writer = new GaleraWriter(router, new Dictionary<string, System.Data.Common.DbDataSource> { ["galera1"] = galera });

        Assert.Contains("non-empty", Assert.Throws<ArgumentException>(() => writer.NodeFor("")).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => writer.ExecuteAsync("", (_, _, _) => ValueTask.FromResult(0)));

        var missing = Assert.Throws<ArgumentException>(() => new GaleraWriter(router, new Dictionary<string, System.Data.Common.DbDataSource>()));
        Assert.Contains("'galera1'", missing.Message, StringComparison.Ordinal);

        var invalid = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            new GaleraWriter(router, new Dictionary<string, System.Data.Common.DbDataSource> { ["galera1"] = galera }, new GaleraRoutingOptions { MaxWriteAttempts = 0, RetryDelay = TimeSpan.FromMinutes(1) }));
        Assert.Equal(2, invalid.Failures.Count());
        Assert.Contains(invalid.Failures, f => f.Contains("MaxWriteAttempts is 0", StringComparison.Ordinal));
    }

    private const string PinnedNodeOfAccount42 = "galera4";
}
