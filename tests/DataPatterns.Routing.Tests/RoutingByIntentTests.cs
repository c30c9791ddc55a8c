namespace DataPatterns.Routing.Tests;

public sealed class RoutingByIntentTests
{
    [Fact]
    public async Task Writes_go_to_the_primary_and_reads_to_the_replicas()
    {
        await using var cluster = new FakeCluster();
        Assert.Equal("primary", await cluster.WriteAsync());
        var readers = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            readers.Add(await cluster.ReadAsync());
        }

        Assert.Equal(["replica-1", "replica-2"], readers.Order());
    }

    [Fact]
    public async Task The_data_sources_route_like_the_intents()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        await using (var write = await cluster.Router.Primary.OpenConnectionAsync())
        {
            Assert.Equal("primary", ((FakeConnection)write).Node.Name);
        }

        await using var read = cluster.Router.Replica.CreateConnection();
        Assert.StartsWith("replica", ((FakeConnection)read).Node.Name, StringComparison.Ordinal);
        using var sync = cluster.Router.Replica.OpenConnection();
        Assert.StartsWith("replica", ((FakeConnection)sync).Node.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_replica_reads_go_to_the_primary()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("primary")]);
        Assert.Equal("primary", await cluster.ReadAsync());
    }

    [Fact]
    public async Task With_no_replica_and_Fail_reads_throw_a_clear_exception()
    {
        await using var cluster = new FakeCluster(o => o.WhenNoReplica = NoReplicaBehavior.Fail, nodes: [FakeNode.Primary("primary")]);
        var error = await Assert.ThrowsAsync<NoReplicaAvailableException>(() => cluster.ReadAsync());
        Assert.Contains("WhenNoReplica", error.Message, StringComparison.Ordinal);
        Assert.Equal("test", error.RouterName);
    }

    [Fact]
    public async Task Writes_with_no_primary_throw_a_clear_exception_naming_the_nodes()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Replica("r1"), new FakeNode("r2")]);
        var error = await Assert.ThrowsAsync<NoPrimaryAvailableException>(() => cluster.WriteAsync());
        Assert.Contains("'r1' replica", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ambient_transaction_keeps_reads_on_the_primary()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        using var scope = new System.Transactions.TransactionScope(System.Transactions.TransactionScopeAsyncFlowOption.Enabled);
        Assert.Equal("primary", await cluster.ReadAsync());
        await using var connection = cluster.Router.Replica.CreateConnection();
        Assert.Equal("primary", ((FakeConnection)connection).Node.Name);
    }

    [Fact]
    public async Task The_routing_decision_allocates_nothing()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        for (var i = 0; i < 100; i++)
        {
            cluster.Router.Route(RoutingIntent.Read, ConsistencyToken.None, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            cluster.Router.Route(RoutingIntent.Read, ConsistencyToken.None, out _);
            cluster.Router.Route(RoutingIntent.Write, ConsistencyToken.None, out _);
            cluster.Router.Route(RoutingIntent.ReadAfterWrite, new ConsistencyToken(100), out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
