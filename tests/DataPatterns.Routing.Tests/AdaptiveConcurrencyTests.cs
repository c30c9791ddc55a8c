using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Routing.Tests;

/// <summary>Issue #13 part 2: the per-node adaptive limit finds the concurrency a node can run, and sheds the rest.</summary>
public sealed class AdaptiveConcurrencyTests
{
    [FsCheck.Xunit.Property(MaxTest = 60)]
    public Property The_limit_converges_within_20_percent_of_the_knee_of_a_server_whose_latency_grows_with_concurrency()
    {
        var cases =
            from knee in Gen.Choose(10, 300)
            from baseMilliseconds in Gen.Choose(1, 50)
            from initial in Gen.Choose(2, 1000)
            select (Knee: knee, Base: TimeSpan.FromMilliseconds(baseMilliseconds), Initial: initial);
        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var limit = Simulate(c.Knee, c.Base, c.Initial, batches: 600);
            return (limit >= 0.8 * c.Knee && limit <= 1.2 * c.Knee)
                .Label($"knee {c.Knee}, base {c.Base.TotalMilliseconds} ms, start {c.Initial}: limit {limit}");
        });
    }

    [Fact]
    public void A_limit_that_starts_far_above_the_knee_comes_down_to_it()
    {
        var limit = Simulate(knee: 40, baseLatency: TimeSpan.FromMilliseconds(5), initial: 1000, batches: 200);
        Assert.InRange(limit, 32, 48);
    }

    [Fact]
    public void With_too_little_demand_to_fill_half_the_limit_the_limit_does_not_grow()
    {
        var time = new FakeTimeProvider();
        var limiter = new AdaptiveConcurrencyLimiter(Options(initial: 20), time);
        for (var i = 0; i < 500; i++)
        {
            Assert.True(limiter.TryAcquire());
            var started = time.GetTimestamp();
            time.Advance(TimeSpan.FromMilliseconds(3));
            limiter.Release(started, sample: true);
        }

        Assert.Equal(20, limiter.Limit);
    }

    [Fact]
    public async Task When_the_limit_and_the_queue_are_full_an_acquire_fails_at_once_and_is_counted()
    {
        var time = new FakeTimeProvider();
        var limiter = new AdaptiveConcurrencyLimiter(Options(initial: 2, maxQueue: 1), time);
        Assert.True(await limiter.AcquireAsync(CancellationToken.None));
        Assert.True(await limiter.AcquireAsync(CancellationToken.None));
        var queued = limiter.AcquireAsync(CancellationToken.None).AsTask();
        Assert.False(queued.IsCompleted);
        Assert.Equal(1, limiter.Queued);

        Assert.False(await limiter.AcquireAsync(CancellationToken.None));
        Assert.Equal(1, limiter.Rejected);

        // A released slot goes to the waiter.
        limiter.Release(time.GetTimestamp(), sample: false);
        Assert.True(await queued.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, limiter.InFlight);
        Assert.Equal(0, limiter.Queued);
    }

    [Fact]
    public async Task A_queued_acquire_fails_after_the_longest_wait()
    {
        var time = new FakeTimeProvider();
        var limiter = new AdaptiveConcurrencyLimiter(Options(initial: 2, maxQueue: 5), time);
        Assert.True(limiter.TryAcquire());
        Assert.True(limiter.TryAcquire());
        var queued = limiter.AcquireAsync(CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await queued.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, limiter.Queued);
        Assert.Equal(2, limiter.InFlight);
    }

    [Fact]
    public async Task A_router_with_the_limit_full_refuses_with_the_typed_overload_error_and_serves_again_when_a_connection_closes()
    {
        await using var cluster = new FakeCluster(
            o => o.AdaptiveConcurrency = new AdaptiveConcurrencyOptions { Enabled = true, InitialLimit = 2, MinLimit = 2, MaxLimit = 2, MaxQueue = 0 },
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        var first = await cluster.Router.OpenConnectionAsync(RoutingIntent.Read);
        await using var second = await cluster.Router.OpenConnectionAsync(RoutingIntent.Read);

        var error = await Assert.ThrowsAsync<NodeOverloadedException>(() => cluster.ReadAsync());
        Assert.Equal("r", error.NodeName);
        Assert.True(error.IsTransient);
        Assert.Contains("concurrency limit", error.Message, StringComparison.Ordinal);
        Assert.True(cluster.State("r").IsHealthy);
        Assert.Equal(2, cluster.State("r").ConcurrencyLimit);
        Assert.Equal(2, cluster.State("r").OutstandingConnections);

        Assert.Throws<NodeOverloadedException>(() => cluster.Router.Replica.OpenConnection().Dispose());

        await first.DisposeAsync();
        Assert.Equal("r", await cluster.ReadAsync());
        Assert.Equal(2, cluster.State("r").RejectedOpens);
    }

    [Fact]
    public async Task With_the_limit_on_a_replica_that_refuses_is_still_ejected_and_its_slot_given_back()
    {
        await using var cluster = new FakeCluster(
            o => o.AdaptiveConcurrency = new AdaptiveConcurrencyOptions { Enabled = true, InitialLimit = 1, MinLimit = 1, MaxLimit = 1, MaxQueue = 0 },
            nodes: [FakeNode.Primary("p"), FakeNode.Replica("r1"), FakeNode.Replica("r2")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["r1"].Down = true;
        using (var connection = cluster.Router.Replica.OpenConnection())
        {
            Assert.Equal("r2", ((FakeConnection)connection).Node.Name);
        }

        Assert.False(cluster.State("r1").IsHealthy);
        cluster["r1"].Down = false;
        cluster.Time.Advance(TimeSpan.FromSeconds(5));
        await cluster.Router.ProbeAsync();
        await using var a = await cluster.Router.OpenConnectionAsync(RoutingIntent.Read);
        await using var b = await cluster.Router.OpenConnectionAsync(RoutingIntent.Read);
        Assert.Equal(["r1", "r2"], new[] { a.DataSource, b.DataSource }.Order());
    }

    /// <summary>
    /// A closed loop with more demand than any limit: each round fills every slot, the server answers them all after a
    /// latency that is flat up to <paramref name="knee"/> concurrent operations and grows in proportion beyond it (a server
    /// with that many workers), and the slots are released. Time is a fake clock, so nothing real is timed.
    /// </summary>
    private static int Simulate(int knee, TimeSpan baseLatency, int initial, int batches)
    {
        var time = new FakeTimeProvider();
        var limiter = new AdaptiveConcurrencyLimiter(Options(initial, maxLimit: 1000), time);
        for (var batch = 0; batch < batches; batch++)
        {
            var started = time.GetTimestamp();
            var running = 0;
            while (limiter.TryAcquire())
            {
                running++;
            }

            time.Advance(baseLatency * Math.Max(1.0, (double)running / knee));
            for (var i = 0; i < running; i++)
            {
                limiter.Release(started, sample: true);
            }
        }

        return limiter.Limit;
    }

    private static AdaptiveConcurrencyOptions Options(int initial, int maxLimit = 100, int maxQueue = 0) => new()
    {
        Enabled = true,
        InitialLimit = initial,
        MinLimit = 2,
        MaxLimit = maxLimit,
        MaxQueue = maxQueue,
        MaxQueueWait = TimeSpan.FromSeconds(1),
    };
}
