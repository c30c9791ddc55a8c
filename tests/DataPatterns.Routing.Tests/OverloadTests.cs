namespace DataPatterns.Routing.Tests;

/// <summary>Issue #13: under overload the router degrades (slow nodes, capped ejections, panic mode, typed refusals), it never collapses.</summary>
public sealed class OverloadTests
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_probe_that_times_out_while_connections_to_the_node_keep_opening_marks_it_slow_not_ejected()
    {
        var logs = new CapturingLoggerFactory();
        await using var cluster = new FakeCluster(Timeouts, loggerFactory: logs);
        await cluster.Router.WaitUntilReadyAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        foreach (var node in cluster.Nodes)
        {
            node.ProbeHangs = true;
        }

        // The application keeps getting connections from every node while their probes are stuck.
        for (var i = 0; i < 4; i++)
        {
            await cluster.ReadAsync();
            await cluster.WriteAsync();
        }

        await TimedOutProbeCycleAsync(cluster);

        foreach (var node in cluster.Router.GetNodes())
        {
            Assert.True(node.IsHealthy, $"{node.Name} was ejected");
            Assert.True(node.IsSlow, $"{node.Name} is not marked slow");
        }

        Assert.Contains(logs.Lines, l => l.EventId == 4011 && l.Message.Contains("'replica-1' is slow and stays in rotation", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.EventId == 4001);

        // An answered probe clears it.
        foreach (var node in cluster.Nodes)
        {
            node.ProbeHangs = false;
        }

        await cluster.Router.ProbeAsync();
        Assert.All(cluster.Router.GetNodes(), n => Assert.False(n.IsSlow));
    }

    [Fact]
    public async Task Timeouts_eject_at_most_MaxEjectionPercent_of_the_nodes()
    {
        FakeNode[] nodes = [FakeNode.Primary("p"), FakeNode.Replica("r1"), FakeNode.Replica("r2"), FakeNode.Replica("r3"), FakeNode.Replica("r4")];
        await using var cluster = new FakeCluster(o => { Timeouts(o); o.MaxEjectionPercent = 50; }, nodes: nodes);
        await cluster.Router.WaitUntilReadyAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        foreach (var replica in nodes.Skip(1))
        {
            replica.ProbeHangs = true;
        }

        await TimedOutProbeCycleAsync(cluster);

        // 50 % of 5 nodes: two may be out; the other two replicas stay in rotation, marked slow.
        var states = cluster.Router.GetNodes();
        Assert.Equal(2, states.Count(s => !s.IsHealthy));
        Assert.Equal(2, states.Count(s => s.IsHealthy && s.IsSlow));
        Assert.True(cluster.State("p").IsHealthy);
    }

    [Fact]
    public async Task The_last_replica_may_be_ejected_for_a_timeout_when_reads_fall_back_to_the_primary()
    {
        // Panic mode off: with it on, the only replica would get reads again (see the panic test).
        await using var cluster = new FakeCluster(
            o => { Timeouts(o); o.MaxEjectionPercent = 100; o.PanicThresholdPercent = 0; },
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        cluster["p"].ProbeHangs = true;
        cluster["r"].ProbeHangs = true;

        await TimedOutProbeCycleAsync(cluster);

        Assert.True(cluster.State("p").IsHealthy);
        Assert.False(cluster.State("r").IsHealthy);
        Assert.Equal("p", await cluster.ReadAsync());
    }

    [Fact]
    public async Task A_replica_kept_after_a_connect_timeout_is_not_tried_again_by_the_same_read()
    {
        await using var cluster = new FakeCluster(o => o.MaxEjectionPercent = 0, nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["r"].OpenTimesOut = true;
        var before = cluster["r"].OpenAttempts;

        Assert.Equal("p", await cluster.ReadAsync());
        Assert.Equal(before + 1, cluster["r"].OpenAttempts);
        using (var connection = cluster.Router.Replica.OpenConnection())
        {
            Assert.Equal("p", ((FakeConnection)connection).Node.Name);
        }

        Assert.Equal(before + 2, cluster["r"].OpenAttempts);
        Assert.True(cluster.State("r").IsSlow);
    }

    [Theory]
    [InlineData(false, 100)]
    [InlineData(true, 100)]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    public async Task A_read_whose_replica_times_out_goes_to_another_healthy_replica_not_the_primary(bool sync, int maxEjectionPercent)
    {
        // Panic mode off: the timed-out replica is ejected (cap 100) or kept slow (cap 0); either way r2 is healthy.
        await using var cluster = new FakeCluster(
            o => { o.MaxEjectionPercent = maxEjectionPercent; o.PanicThresholdPercent = 0; },
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("r1"), FakeNode.Replica("r2")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["r1"].OpenTimesOut = true;

        // Enough reads that the balancer picks r1 at least once, whichever replica it starts with.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("r2", await ReadOnceAsync(cluster, sync));
        }

        Assert.True(cluster["r1"].OpenAttempts > 0, "no read tried r1, so the test proves nothing");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_WhenNoReplica_Fail_a_replica_timeout_does_not_fail_the_read_while_another_replica_is_healthy(bool sync)
    {
        await using var cluster = new FakeCluster(
            o => { o.MaxEjectionPercent = 100; o.PanicThresholdPercent = 0; o.WhenNoReplica = NoReplicaBehavior.Fail; },
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("r1"), FakeNode.Replica("r2")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["r1"].OpenTimesOut = true;

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("r2", await ReadOnceAsync(cluster, sync));
        }

        Assert.True(cluster["r1"].OpenAttempts > 0, "no read tried r1, so the test proves nothing");
    }

    private static async Task<string> ReadOnceAsync(FakeCluster cluster, bool sync)
    {
        if (!sync)
        {
            return await cluster.ReadAsync();
        }

        using var connection = cluster.Router.Replica.OpenConnection();
        return ((FakeConnection)connection).Node.Name;
    }

    [Fact]
    public async Task A_node_that_refuses_is_ejected_whatever_the_cap()
    {
        // The cap is for timeouts, which overload causes; a refused connection means the node is down for certain.
        await using var cluster = new FakeCluster(o => o.MaxEjectionPercent = 0);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["replica-1"].Down = true;
        await cluster.Router.ProbeAsync();
        Assert.False(cluster.State("replica-1").IsHealthy);
    }

    [Fact]
    public async Task The_last_node_of_a_role_is_never_ejected_for_a_timeout()
    {
        // With WhenNoReplica = Fail the replica is the last node that can read; otherwise reads would fall back to p.
        await using var cluster = new FakeCluster(
            o => { Timeouts(o); o.MaxEjectionPercent = 100; o.WhenNoReplica = NoReplicaBehavior.Fail; },
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        cluster["p"].ProbeHangs = true;
        cluster["r"].ProbeHangs = true;

        // No traffic at all, so nothing shows the nodes answer: still, the only primary and the only replica stay.
        await TimedOutProbeCycleAsync(cluster);

        Assert.True(cluster.State("p").IsHealthy);
        Assert.True(cluster.State("r").IsHealthy);
        Assert.True(cluster.State("p").IsSlow);
        Assert.Equal("p", await cluster.WriteAsync());
        Assert.Equal("r", await cluster.ReadAsync());
    }

    [Fact]
    public async Task Panic_mode_keeps_traffic_flowing_when_every_probe_times_out_but_queries_succeed()
    {
        FakeNode[] nodes = [FakeNode.Primary("p"), FakeNode.Replica("r1"), FakeNode.Replica("r2"), FakeNode.Replica("r3")];
        await using var cluster = new FakeCluster(o => { Timeouts(o); o.MaxEjectionPercent = 100; o.PanicThresholdPercent = 50; }, nodes: nodes);
        await cluster.Router.WaitUntilReadyAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        foreach (var node in nodes)
        {
            node.ProbeHangs = true;
        }

        // Idle, every probe times out: the replicas are ejected (reads could fall back to p), p (the only primary) stays.
        await TimedOutProbeCycleAsync(cluster);
        Assert.False(cluster.State("r1").IsHealthy);
        Assert.False(cluster.State("r2").IsHealthy);
        Assert.True(cluster.Router.ReplicaPanic);

        // No replica of three in rotation is under the threshold: reads spread over all three, and every one succeeds.
        var readers = new HashSet<string>();
        for (var i = 0; i < 9; i++)
        {
            readers.Add(await cluster.ReadAsync());
        }

        Assert.Equal(["r1", "r2", "r3"], readers.Order());
        Assert.Equal("p", await cluster.WriteAsync());

        // The queries that succeeded prove the ejected replicas answer: the next cycle takes them back, as slow.
        await TimedOutProbeCycleAsync(cluster);
        Assert.All(cluster.Router.GetNodes(), n => Assert.True(n.IsHealthy && n.IsSlow, n.Name));
        Assert.False(cluster.Router.ReplicaPanic);
    }

    [Fact]
    public async Task Without_panic_mode_reads_go_only_to_the_replicas_left_in_rotation()
    {
        FakeNode[] nodes = [FakeNode.Primary("p"), FakeNode.Replica("r1"), FakeNode.Replica("r2"), FakeNode.Replica("r3")];
        await using var cluster = new FakeCluster(o => { Timeouts(o); o.MaxEjectionPercent = 100; o.PanicThresholdPercent = 0; }, nodes: nodes);
        await cluster.Router.WaitUntilReadyAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        foreach (var node in nodes)
        {
            node.ProbeHangs = true;
        }

        await TimedOutProbeCycleAsync(cluster);
        Assert.False(cluster.Router.ReplicaPanic);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("p", await cluster.ReadAsync());
        }
    }

    [Fact]
    public async Task An_overloaded_node_raises_a_typed_transient_error_with_a_retry_hint_and_stays_in_rotation()
    {
        await using var cluster = new FakeCluster(o => o.OverloadRetryAfter = TimeSpan.FromMilliseconds(250), nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["p"].Overloaded = true;

        var error = await Assert.ThrowsAsync<NodeOverloadedException>(() => cluster.WriteAsync());
        Assert.Equal("p", error.NodeName);
        Assert.Equal("test", error.RouterName);
        Assert.Equal(TimeSpan.FromMilliseconds(250), error.RetryAfter);
        Assert.True(error.IsTransient);
        Assert.IsType<FakeOverloadException>(error.InnerException);
        Assert.Contains("node 'p' refused the connection because it is overloaded", error.Message, StringComparison.Ordinal);
        Assert.True(cluster.State("p").IsHealthy);

        // The synchronous path says the same.
        Assert.Throws<NodeOverloadedException>(() => cluster.Router.Primary.OpenConnection().Dispose());

        cluster["p"].Overloaded = false;
        Assert.Equal("p", await cluster.WriteAsync());
    }

    [Fact]
    public async Task A_probe_refused_for_overload_marks_the_node_slow_not_ejected()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        cluster["replica-1"].Overloaded = true;
        await cluster.Router.ProbeAsync();
        Assert.True(cluster.State("replica-1").IsHealthy);
        Assert.True(cluster.State("replica-1").IsSlow);
    }

    private static void Timeouts(ReadWriteRouterOptions options) => options.ProbeTimeout = ProbeTimeout;

    private static async Task TimedOutProbeCycleAsync(FakeCluster cluster)
    {
        var probe = cluster.Router.ProbeAsync();
        Assert.False(probe.IsCompleted);
        cluster.Time.Advance(ProbeTimeout);
        await probe.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
