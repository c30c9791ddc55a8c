using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>The write-back queue depth gauge (<c>datapatterns.cache.writeback.queue.depth</c>) of the in-memory queue.</summary>
public class WriteBackQueueDepthTests
{
    private static void WriteBack(CacheOptions o)
    {
        o.WriteStrategy = CacheWriteStrategy.WriteBack;
        o.WriteBack.BatchSize = 10;
        o.WriteBack.MaxAttempts = 2;
        o.WriteBack.RetryDelay = TimeSpan.Zero;
    }

    [Fact]
    public async Task The_gauge_counts_keys_waiting_to_be_written_and_drops_to_zero_after_the_flush()
    {
        await using var fixture = new CacheFixture(WriteBack);
        using var depth = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().WriteBackQueueDepth);

        Assert.Equal(0, Observe(depth));
        for (var key = 0; key < 25; key++)
        {
            await fixture.Cache.SetAsync(key, "first");
        }

        await fixture.Cache.SetAsync(3, "second"); // the same key again: still one queued write
        Assert.Equal(25, Observe(depth));
        Assert.Equal("items", depth.LastMeasurement!.Tags["datapatterns.cache.name"]);

        await fixture.Cache.FlushAsync();

        Assert.Equal(0, Observe(depth));
        Assert.Equal(25, fixture.Database.Rows.Count);
    }

    [Fact]
    public async Task A_write_given_up_to_the_dead_letter_leaves_the_gauge()
    {
        await using var fixture = new CacheFixture(WriteBack);
        using var depth = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().WriteBackQueueDepth);
        fixture.Database.FailWrite = (key, _) => key == 7;
        for (var key = 0; key < 10; key++)
        {
            await fixture.Cache.SetAsync(key, "v");
        }

        Assert.False(await FlushOnceAsync(fixture)); // the batch fails; the writes are retried one by one: 7 stays queued
        Assert.Equal(1, Observe(depth));

        await fixture.Cache.FlushAsync(); // second attempt: 7 goes to the dead letter

        Assert.Equal(0, Observe(depth));
        Assert.Equal(9, fixture.Database.Rows.Count);
    }

    [Fact]
    public async Task Each_cache_reports_its_own_queue_and_a_disposed_cache_reports_nothing()
    {
        var metrics = new CachingMetrics();
        var services = new ServiceCollection();
        services.AddSingleton(metrics);
        services.AddSingleton<TestDatabase>();
        services.AddCaching()
            .AddCache<int, string>("a", WriteBack).WithWriter(sp => sp.GetRequiredService<TestDatabase>())
            .AddCache<int, string>("b", WriteBack).WithWriter(sp => sp.GetRequiredService<TestDatabase>());
        using var depth = new MetricCollector<long>(metrics.WriteBackQueueDepth);
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredKeyedService<ICache<int, string>>("a").SetAsync(1, "x");
            await provider.GetRequiredKeyedService<ICache<int, string>>("b").SetAsync(1, "x");
            await provider.GetRequiredKeyedService<ICache<int, string>>("b").SetAsync(2, "x");

            depth.RecordObservableInstruments();
            var byCache = depth.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["datapatterns.cache.name"]!, m => m.Value);
            Assert.Equal(new Dictionary<string, long> { ["a"] = 1, ["b"] = 2 }, byCache);
        }

        depth.Clear();
        depth.RecordObservableInstruments();
        Assert.Empty(depth.GetMeasurementSnapshot());
        metrics.Dispose();
    }

    private static long Observe(MetricCollector<long> collector)
    {
        collector.RecordObservableInstruments();
        return collector.LastMeasurement!.Value;
    }

    private static async Task<bool> FlushOnceAsync(CacheFixture fixture)
    {
        var cache = fixture.Provider.GetRequiredKeyedService<ICache<int, string>>("items");
        var queue = (IWriteBackQueue<int, string>)typeof(Cache<int, string>)
            .GetField("_writeBack", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(cache)!;
        return await queue.FlushOnceAsync(CancellationToken.None);
    }
}
