namespace DataPatterns.Routing.Tests;

/// <summary>The router's DbDataSources behave like any data source, for code that only knows ADO.NET.</summary>
public sealed class DataSourceTests
{
    [Fact]
    public async Task A_synchronous_open_moves_past_a_replica_that_refuses()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        cluster["replica-1"].Down = true;
        cluster["replica-2"].Down = true;
        using var connection = cluster.Router.Replica.OpenConnection();
        Assert.Equal("primary", ((FakeConnection)connection).Node.Name);
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    [Fact]
    public async Task Commands_from_the_data_source_run_on_a_routed_connection()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        var source = (RoutingDataSource)cluster.Router.Primary;
        Assert.Equal(RoutingIntent.Write, source.Intent);
        Assert.Same(cluster.Router, source.Router);
        Assert.Equal("Host=primary", source.ConnectionString);
        Assert.StartsWith("Host=replica", cluster.Router.Replica.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_Fail_and_every_replica_ejected_reads_throw()
    {
        await using var cluster = new FakeCluster(o => o.WhenNoReplica = NoReplicaBehavior.Fail);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["replica-1"].Down = true;
        cluster["replica-2"].Down = true;
        await Assert.ThrowsAsync<NoReplicaAvailableException>(() => cluster.ReadAsync());
        Assert.Throws<NoReplicaAvailableException>(() => cluster.Router.Replica.CreateConnection());
    }

    [Fact]
    public async Task Open_connection_counts_return_to_zero_after_parallel_use()
    {
        await using var cluster = new FakeCluster(o => o.ReplicaPolicy = NodeSelectionPolicy.LeastOutstanding);
        await cluster.Router.WaitUntilReadyAsync();
        await Parallel.ForAsync(0, 2000, async (i, ct) =>
        {
            await using var connection = await cluster.Router.OpenConnectionAsync(i % 3 == 0 ? RoutingIntent.Write : RoutingIntent.Read, ct);
            await Task.Yield();
        });

        Assert.All(cluster.Router.GetNodes(), n => Assert.Equal(0, n.OutstandingConnections));
    }

    [Fact]
    public async Task A_disposed_router_refuses_new_connections()
    {
        var cluster = new FakeCluster();
        await cluster.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cluster.ReadAsync());
        Assert.Throws<ObjectDisposedException>(() => cluster.Router.Primary.CreateConnection());
    }
}
