namespace DataPatterns.Routing.Tests;

public sealed class ReadYourWritesTests
{
    [Fact]
    public async Task After_a_write_a_session_reads_from_the_primary_while_no_replica_has_replayed_it()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p", 100), FakeNode.Replica("r", 100)]);
        var session = cluster.Router.CreateSession();
        Assert.Equal("r", await ReadAsync(session));

        await using (await session.OpenWriteConnectionAsync())
        {
            cluster["p"].Position = 150; // the write's commit
        }

        Assert.True(session.HasUnresolvedWrite);
        Assert.Equal("p", await ReadAsync(session));
        Assert.Equal(new ConsistencyToken(150), session.Token);
        Assert.False(session.HasUnresolvedWrite);

        cluster["r"].Position = 150;
        await cluster.Router.ProbeAsync();
        Assert.Equal("r", await ReadAsync(session));
    }

    [Fact]
    public async Task A_replica_that_has_replayed_the_token_serves_the_read()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p", 100), FakeNode.Replica("behind", 100), FakeNode.Replica("ahead", 300)]);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("ahead", await cluster.ReadAsync(RoutingIntent.ReadAfterWrite, new ConsistencyToken(200)));
        }
    }

    [Fact]
    public async Task With_a_wait_the_read_waits_for_a_replica_to_replay_the_token()
    {
        var replica = new FakeNode("r") { Position = 100, AdvanceOnReplayQuery = 10 };
        await using var cluster = new FakeCluster(o => o.ReadYourWritesWait = TimeSpan.FromSeconds(1), nodes: [FakeNode.Primary("p", 200), replica]);
        var read = cluster.ReadAsync(RoutingIntent.ReadAfterWrite, new ConsistencyToken(130));
        while (!read.IsCompleted)
        {
            cluster.Time.Advance(TimeSpan.FromMilliseconds(2));
            await Task.Delay(1);
        }

        Assert.Equal("r", await read);
        Assert.True(cluster.State("r").LogPosition >= new ConsistencyToken(130));
    }

    [Fact]
    public async Task The_wait_asks_the_replica_once_per_poll_interval()
    {
        var replica = new FakeNode("r") { Position = 100, AdvanceOnReplayQuery = 10 };
        await using var cluster = new FakeCluster(
            o =>
            {
                o.ReadYourWritesWait = TimeSpan.FromSeconds(1);
                o.ReadYourWritesPollInterval = TimeSpan.FromMilliseconds(100);
            },
            nodes: [FakeNode.Primary("p", 200), replica]);
        var read = cluster.ReadAsync(RoutingIntent.ReadAfterWrite, new ConsistencyToken(125));
        await UntilAsync(() => cluster.Probe.ReplayQueries == 1);

        cluster.Time.Advance(TimeSpan.FromMilliseconds(99));
        await Task.Delay(50);
        Assert.Equal(1, cluster.Probe.ReplayQueries);

        for (var asked = 2; asked <= 4; asked++)
        {
            cluster.Time.Advance(asked == 2 ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(100));
            var expected = asked;
            await UntilAsync(() => cluster.Probe.ReplayQueries == expected);
        }

        Assert.Equal("r", await read);   // 100, 110, 120, then 130 >= 125
        Assert.Equal(4, cluster.Probe.ReplayQueries);
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "the router did not ask the replica as expected");
    }

    [Fact]
    public async Task When_the_wait_runs_out_the_read_goes_to_the_primary()
    {
        var replica = new FakeNode("r") { Position = 100 };
        await using var cluster = new FakeCluster(o => o.ReadYourWritesWait = TimeSpan.FromMilliseconds(20), nodes: [FakeNode.Primary("p", 200), replica]);
        var read = cluster.ReadAsync(RoutingIntent.ReadAfterWrite, new ConsistencyToken(150));
        while (!read.IsCompleted)
        {
            cluster.Time.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Delay(1);
        }

        Assert.Equal("p", await read);
    }

    [Fact]
    public async Task With_read_your_writes_off_session_reads_go_to_replicas_after_writes()
    {
        await using var cluster = new FakeCluster(o => o.ReadYourWrites = false, nodes: [FakeNode.Primary("p", 100), FakeNode.Replica("r", 100)]);
        var session = cluster.Router.CreateSession();
        await using (await session.OpenWriteConnectionAsync())
        {
            cluster["p"].Position = 150;
        }

        Assert.Equal("r", await ReadAsync(session));
        Assert.Equal(0, cluster.Probe.WritePositionQueries);
    }

    [Fact]
    public async Task While_a_write_connection_of_the_session_is_open_its_reads_stay_on_the_primary()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p", 100), FakeNode.Replica("r", 100)]);
        var session = cluster.Router.CreateSession();
        await using var write = await session.OpenWriteConnectionAsync();
        Assert.Equal("p", await ReadAsync(session));
        await using var syncRead = session.Reads.CreateConnection();
        Assert.Equal("p", ((FakeConnection)syncRead).Node.Name);
    }

    [Fact]
    public async Task A_token_carried_from_an_earlier_request_keeps_reads_off_replicas_behind_it()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p", 0x1_0000_0200), FakeNode.Replica("r", 0x1_0000_0100)]);
        var earlier = cluster.Router.CreateSession();
        await using (await earlier.Writes.OpenConnectionAsync())
        {
        }

        var cookie = (await earlier.GetTokenAsync()).ToString();
        Assert.Equal("1/200", cookie);

        var next = cluster.Router.CreateSession();
        Assert.True(next.TryObserve(cookie));
        Assert.False(next.TryObserve("not a token"));
        Assert.Equal("p", await ReadAsync(next));
        await using var sync = next.Reads.CreateConnection();
        Assert.Equal("p", ((FakeConnection)sync).Node.Name);
    }

    [Fact]
    public async Task Capture_on_the_committing_connection_resolves_the_token_without_another_connection()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p", 100), FakeNode.Replica("r", 100)]);
        var session = cluster.Router.CreateSession();
        await using (var write = await session.OpenWriteConnectionAsync())
        {
            cluster["p"].Position = 180;
            Assert.Equal(new ConsistencyToken(180), await session.CaptureAsync(write));
        }

        var opensBefore = cluster["p"].Opens;
        Assert.False(session.HasUnresolvedWrite);
        Assert.Equal("p", await ReadAsync(session)); // the replica is still at 100
        Assert.Equal(opensBefore + 1, cluster["p"].Opens); // only the read itself
    }

    private static async Task<string> ReadAsync(RoutingSession session)
    {
        await using var connection = await session.OpenReadConnectionAsync();
        return ((FakeConnection)connection).Node.Name;
    }
}
