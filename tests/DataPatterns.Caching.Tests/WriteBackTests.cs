using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataPatterns.Caching.Tests;

public class WriteBackTests
{
    private static Action<CacheOptions> WriteBack(int batchSize = 100, int capacity = 1000, int maxAttempts = 3) => o =>
    {
        o.WriteStrategy = CacheWriteStrategy.WriteBack;
        o.WriteBack.BatchSize = batchSize;
        o.WriteBack.Capacity = capacity;
        o.WriteBack.MaxAttempts = maxAttempts;
        o.WriteBack.RetryDelay = TimeSpan.Zero;
    };

    [Fact]
    public async Task A_write_lands_in_the_cache_at_once_and_in_the_database_at_the_flush()
    {
        await using var fixture = new CacheFixture(WriteBack());

        await fixture.Cache.SetAsync(1, "v1");

        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        Assert.False(fixture.Database.Rows.ContainsKey(1));
        await fixture.Cache.FlushAsync();
        Assert.Equal("v1", fixture.Database.Rows[1]);
    }

    [Fact]
    public async Task Flush_keeps_only_the_last_write_per_key()
    {
        await using var fixture = new CacheFixture(WriteBack());
        for (var i = 0; i < 10; i++)
        {
            await fixture.Cache.SetAsync(1, $"v{i}");
            await fixture.Cache.SetAsync(2, $"w{i}");
        }

        await fixture.Cache.FlushAsync();

        var batch = Assert.Single(fixture.Database.Batches);
        Assert.Equal(2, batch.Count);
        Assert.Equal("v9", fixture.Database.Rows[1]);
        Assert.Equal("w9", fixture.Database.Rows[2]);
    }

    [Fact]
    public async Task Writes_are_flushed_in_batches_of_the_batch_size()
    {
        await using var fixture = new CacheFixture(WriteBack(batchSize: 10));
        for (var key = 0; key < 35; key++)
        {
            await fixture.Cache.SetAsync(key, "x");
        }

        await fixture.Cache.FlushAsync();

        Assert.Equal([10, 10, 10, 5], fixture.Database.Batches.Select(b => b.Count));
    }

    [Fact]
    public async Task A_full_queue_makes_writers_wait_until_a_flush_frees_space()
    {
        await using var fixture = new CacheFixture(WriteBack(batchSize: 2, capacity: 4));
        for (var key = 0; key < 4; key++)
        {
            await fixture.Cache.SetAsync(key, "x");
        }

        var fifth = fixture.Cache.SetAsync(4, "x").AsTask();
        await Task.Delay(50);
        Assert.False(fifth.IsCompleted);
        await fixture.Cache.SetAsync(0, "replaced"); // a key already queued takes no extra space

        await fixture.Cache.FlushAsync();
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));
        await fixture.Cache.FlushAsync();
        Assert.Equal(5, fixture.Database.Rows.Count);
        Assert.Equal("replaced", fixture.Database.Rows[0]);
    }

    [Fact]
    public async Task A_write_that_keeps_failing_goes_to_the_dead_letter_and_the_others_are_written()
    {
        var deadLetters = new DeadLetters();
        await using var fixture = new CacheFixture(WriteBack(maxAttempts: 3), services: s => s.AddSingleton<IWriteBackDeadLetterHandler<int, string>>(deadLetters));
        fixture.Database.FailWrite = (key, _) => key == 13;
        for (var key = 10; key < 16; key++)
        {
            await fixture.Cache.SetAsync(key, $"v{key}");
        }

        await fixture.Cache.FlushAsync();

        Assert.Equal([10, 11, 12, 14, 15], fixture.Database.Rows.Keys.Order());
        var dead = Assert.Single(deadLetters.Received);
        Assert.Equal((13, "v13"), dead);
    }

    [Fact]
    public async Task A_failing_flush_is_retried_until_the_database_is_back()
    {
        await using var fixture = new CacheFixture(WriteBack(maxAttempts: 1000));
        await fixture.Cache.SetAsync(1, "v1");
        fixture.Database.WriterDown = true;
        var queue = GetQueue(fixture);

        Assert.False(await queue.FlushOnceAsync(CancellationToken.None));
        Assert.False(await queue.FlushOnceAsync(CancellationToken.None));
        fixture.Database.WriterDown = false;
        Assert.True(await queue.FlushOnceAsync(CancellationToken.None));

        Assert.Equal("v1", fixture.Database.Rows[1]);
    }

    [Fact]
    public async Task A_load_before_the_flush_returns_the_queued_value_not_the_older_database_row()
    {
        await using var fixture = new CacheFixture(o =>
        {
            WriteBack()(o);
            o.Expiration.Duration = TimeSpan.FromSeconds(5);
        });
        fixture.Database.Rows[1] = "old";
        await fixture.Cache.SetAsync(1, "new");

        fixture.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("new", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task Graceful_shutdown_flushes_what_is_queued()
    {
        var database = new TestDatabase();
        var services = new ServiceCollection();
        services.AddSingleton(database);
        services.AddCaching().AddCache<int, string>("items", WriteBack()).WithWriter(sp => sp.GetRequiredService<TestDatabase>());
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        var cache = provider.GetRequiredKeyedService<ICache<int, string>>("items");
        for (var key = 0; key < 50; key++)
        {
            await cache.SetAsync(key, "x");
        }

        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        Assert.Equal(50, database.Rows.Count);
    }

    [Fact]
    public async Task The_flush_loop_writes_on_its_interval()
    {
        var database = new TestDatabase();
        var services = new ServiceCollection();
        services.AddSingleton(database);
        services.AddCaching().AddCache<int, string>("items", o =>
        {
            WriteBack()(o);
            o.WriteBack.FlushInterval = TimeSpan.FromMilliseconds(20);
        }).WithWriter(sp => sp.GetRequiredService<TestDatabase>());
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        var cache = provider.GetRequiredKeyedService<ICache<int, string>>("items");

        await cache.SetAsync(1, "x");
        await LazyLoadingTests.WaitUntilAsync(() => database.Rows.ContainsKey(1));

        await hosted.StopAsync(CancellationToken.None);
    }

    private static IWriteBackQueue<int, string> GetQueue(CacheFixture fixture) =>
        (IWriteBackQueue<int, string>)typeof(Cache<int, string>)
            .GetField("_writeBack", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(fixture.Cache)!;

    private sealed class DeadLetters : IWriteBackDeadLetterHandler<int, string>
    {
        public List<(int, string)> Received { get; } = [];

        public ValueTask HandleAsync(string cacheName, int key, string value, Exception lastFailure, CancellationToken cancellationToken)
        {
            Received.Add((key, value));
            return ValueTask.CompletedTask;
        }
    }
}
