namespace DataPatterns.Routing.Tests;

public sealed class LagBoundTests
{
    [Fact]
    public async Task A_replica_past_the_lag_bound_gets_no_reads_until_it_catches_up()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p", 100), FakeNode.Replica("r", 100)]);
        await cluster.Router.WaitUntilReadyAsync();
        Assert.Equal("r", await cluster.ReadAsync());

        cluster["p"].Position = 200; // written; the replica stays at 100 (replay paused)
        await cluster.Router.ProbeAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(1));
        await cluster.Router.ProbeAsync();
        Assert.Equal(TimeSpan.FromSeconds(1), cluster.State("r").Lag);
        Assert.Equal("r", await cluster.ReadAsync()); // 1 s behind, within the 2 s bound

        cluster.Time.Advance(TimeSpan.FromSeconds(1.5));
        await cluster.Router.ProbeAsync();
        Assert.Equal(TimeSpan.FromSeconds(2.5), cluster.State("r").Lag);
        Assert.Equal("p", await cluster.ReadAsync());

        cluster["r"].Position = 200;
        await cluster.Router.ProbeAsync();
        Assert.Equal(TimeSpan.Zero, cluster.State("r").Lag);
        Assert.Equal("r", await cluster.ReadAsync());
    }

    [Fact]
    public async Task An_idle_primary_does_not_make_a_caught_up_replica_look_behind()
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p", 100), FakeNode.Replica("r", 100)]);
        await cluster.Router.WaitUntilReadyAsync();
        for (var i = 0; i < 5; i++)
        {
            cluster.Time.Advance(TimeSpan.FromMinutes(1));
            await cluster.Router.ProbeAsync();
        }

        Assert.Equal(TimeSpan.Zero, cluster.State("r").Lag);
        Assert.Equal("r", await cluster.ReadAsync());
    }

    [FsCheck.Xunit.Property]
    public bool Lag_is_the_time_since_the_primary_first_passed_the_replay_position(ulong[] steps, byte replayIndex)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var tracker = new LagTracker(capacity: 512);
        var position = 0UL;
        var recorded = new List<(long Timestamp, ulong Position)>();
        foreach (var step in steps.Take(200))
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            position += step % 1000;
            tracker.RecordPrimary(time.GetTimestamp(), new ConsistencyToken(position));
            if (recorded.Count == 0 || position > recorded[^1].Position)
            {
                recorded.Add((time.GetTimestamp(), position));
            }
        }

        time.Advance(TimeSpan.FromMilliseconds(10));
        var replayed = recorded.Count == 0 ? 0UL : recorded[replayIndex % recorded.Count].Position;
        var lag = tracker.LagOf(new ConsistencyToken(replayed), time.GetTimestamp(), time);
        var firstPast = recorded.FirstOrDefault(s => s.Position > replayed);
        var expected = firstPast == default ? TimeSpan.Zero : time.GetElapsedTime(firstPast.Timestamp);
        return lag == expected;
    }
}
