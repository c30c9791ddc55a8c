namespace DataPatterns.Routing.Tests;

public sealed class FailoverTests
{
    [Fact]
    public async Task After_the_primary_is_lost_and_a_standby_promoted_the_next_write_goes_to_the_new_primary()
    {
        var logs = new CapturingLoggerFactory();
        await using var cluster = new FakeCluster(loggerFactory: logs, nodes: [FakeNode.Primary("a"), FakeNode.Replica("b")]);
        Assert.Equal("a", await cluster.WriteAsync());

        cluster["a"].Down = true;
        cluster["b"].Writable = true; // promoted

        // No probe ran since: the write finds 'a' refusing, probes again, and lands on 'b' in the same call.
        Assert.Equal("b", await cluster.WriteAsync());
        Assert.Equal(NodeRole.Primary, cluster.State("b").Role);
        Assert.False(cluster.State("a").IsHealthy);
        Assert.Contains(logs.Lines, l => l.EventId == 4003 && l.Message.Contains("the primary is now 'b' (was 'a')", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.EventId == 4001 && l.Message.Contains("node 'a' ejected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task While_no_node_is_primary_writes_fail_with_NoPrimaryAvailable_and_recover_after_promotion()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("a"), FakeNode.Replica("b")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["a"].Down = true;
        await Assert.ThrowsAsync<NoPrimaryAvailableException>(() => cluster.WriteAsync());
        Assert.Equal("b", await cluster.ReadAsync());

        cluster["b"].Writable = true;
        await cluster.Router.ProbeAsync();
        Assert.Equal("b", await cluster.WriteAsync());
    }

    [Fact]
    public async Task An_old_primary_that_comes_back_writable_beside_the_new_one_is_demoted()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("a"), FakeNode.Replica("b")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["a"].Down = true;
        cluster["b"].Writable = true;
        await cluster.Router.ProbeAsync();

        cluster["a"].Down = false; // split brain: it still thinks it is the primary
        await cluster.Router.ProbeAsync();
        Assert.True(cluster.State("a").IsDemoted);
        Assert.Equal("b", await cluster.WriteAsync());
    }
}
