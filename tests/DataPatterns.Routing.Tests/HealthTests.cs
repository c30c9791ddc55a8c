namespace DataPatterns.Routing.Tests;

public sealed class HealthTests
{
    [Fact]
    public async Task A_replica_that_refuses_a_connection_is_ejected_and_the_read_still_succeeds()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        cluster["replica-1"].Down = true;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("replica-2", await cluster.ReadAsync());
        }

        Assert.False(cluster.State("replica-1").IsHealthy);
    }

    [Fact]
    public async Task With_every_replica_down_reads_fall_back_to_the_primary_without_a_failed_request()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        cluster["replica-1"].Down = true;
        cluster["replica-2"].Down = true;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("primary", await cluster.ReadAsync());
        }
    }

    [Fact]
    public async Task An_ejected_replica_comes_back_only_after_the_cooldown_and_a_successful_probe()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["r"].Down = true;
        await cluster.Router.ProbeAsync();
        Assert.False(cluster.State("r").IsHealthy);
        Assert.Equal("p", await cluster.ReadAsync());

        cluster["r"].Down = false;
        cluster.Time.Advance(TimeSpan.FromSeconds(4));
        await cluster.Router.ProbeAsync();
        Assert.False(cluster.State("r").IsHealthy);

        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        await cluster.Router.ProbeAsync();
        Assert.True(cluster.State("r").IsHealthy);
        Assert.Equal("r", await cluster.ReadAsync());
    }

    [Fact]
    public async Task A_replica_that_answered_as_a_primary_is_demoted_and_gets_no_reads()
    {
        var nodes = new[] { FakeNode.Primary("p"), FakeNode.Primary("wrong"), FakeNode.Replica("r") };
        var logs = new CapturingLoggerFactory();
        await using var cluster = new FakeCluster(o => o.Nodes[1].ExpectedRole = NodeRole.Replica, loggerFactory: logs, nodes: nodes);
        await cluster.Router.WaitUntilReadyAsync();
        Assert.True(cluster.State("wrong").IsDemoted);
        var line = Assert.Single(logs.Lines, l => l.EventId == 4004);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, line.Level);
        Assert.Contains("node 'wrong' is declared Replica but answers as a writable primary; it is demoted", line.Message, StringComparison.Ordinal);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("r", await cluster.ReadAsync());
            Assert.Equal("p", await cluster.WriteAsync());
        }
    }

    [Fact]
    public async Task Without_active_active_a_second_writable_node_is_demoted()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("a", 500), FakeNode.Primary("b", 100)]);
        await cluster.Router.WaitUntilReadyAsync();
        Assert.False(cluster.State("a").IsDemoted);
        Assert.True(cluster.State("b").IsDemoted);
        Assert.Equal("a", await cluster.WriteAsync());
    }

    [Fact]
    public async Task Active_active_spreads_writes_over_every_writable_node()
    {
        await using var cluster = new FakeCluster(o => o.ActiveActive = true, nodes: [FakeNode.Primary("a"), FakeNode.Primary("b"), FakeNode.Replica("r")]);
        var writers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            writers.Add(await cluster.WriteAsync());
        }

        Assert.Equal(["a", "b", "a", "b"], writers);
        Assert.Equal("r", await cluster.ReadAsync());
    }

    [Fact]
    public async Task A_node_that_hangs_is_ejected_when_its_probe_times_out()
    {
        // Two replicas: the last node of a role is never ejected for a timeout (OverloadTests), so one of two is.
        await using var cluster = new FakeCluster(o => o.ProbeTimeout = TimeSpan.FromSeconds(2), nodes: [FakeNode.Primary("p"), FakeNode.Replica("r"), FakeNode.Replica("r2")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["r"].Hangs = true;
        var probe = cluster.Router.ProbeAsync();
        Assert.False(probe.IsCompleted);
        cluster.Time.Advance(TimeSpan.FromSeconds(2));
        await probe.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(cluster.State("r").IsHealthy);
        Assert.True(cluster.State("p").IsHealthy);
        Assert.True(cluster.State("r2").IsHealthy);
    }
}
