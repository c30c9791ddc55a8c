namespace DataPatterns.Routing.Tests;

/// <summary>
/// A probe that finds a server gone asks the provider to drop the node's idle pooled connections; one that only timed
/// out never does (a busy node keeps its pool); a clear that fails is logged and changes nothing else.
/// </summary>
public sealed class PoolClearingTests
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_probe_that_fails_asks_to_clear_that_nodes_pool_only()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        Assert.Empty(cluster.Probe.Cleared);

        cluster["r"].Down = true;
        await cluster.Router.ProbeAsync();

        Assert.Equal(["r"], cluster.Probe.Cleared);
        Assert.False(cluster.State("r").IsHealthy);
    }

    [Fact]
    public async Task A_probe_that_times_out_never_clears_the_pool()
    {
        await using var cluster = new FakeCluster(o => o.ProbeTimeout = ProbeTimeout, nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["r"].ProbeHangs = true;

        var probe = cluster.Router.ProbeAsync();
        Assert.False(probe.IsCompleted);
        cluster.Time.Advance(ProbeTimeout);
        await probe.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(cluster.Probe.Cleared);
    }

    [Fact]
    public async Task A_clear_that_throws_is_logged_and_the_router_goes_on()
    {
        var logs = new CapturingLoggerFactory();
        await using var cluster = new FakeCluster(loggerFactory: logs, nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster.Probe.ClearThrows = true;
        cluster["r"].Down = true;

        await cluster.Router.ProbeAsync();

        Assert.Contains(logs.Lines, line => line.EventId == 4017 && line.Message.Contains("'r'", StringComparison.Ordinal));
        Assert.False(cluster.State("r").IsHealthy);
        Assert.Equal("p", await cluster.ReadAsync());

        cluster["r"].Down = false;
        cluster.Time.Advance(TimeSpan.FromSeconds(6));
        await cluster.Router.ProbeAsync();
        Assert.True(cluster.State("r").IsHealthy);
        Assert.Equal("r", await cluster.ReadAsync());
    }
}
