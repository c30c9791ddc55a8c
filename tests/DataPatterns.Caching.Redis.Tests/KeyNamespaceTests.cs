using System.Collections.Concurrent;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>A string-keyed table standing in for the application's database, shared by several instances.</summary>
public sealed class StringTable : ICacheLoader<string, string>, ICacheWriter<string, string>
{
    public ConcurrentDictionary<string, string> Rows { get; } = new(StringComparer.Ordinal);

    public ValueTask<string?> LoadAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Rows.TryGetValue(key, out var value) ? value : null);

    public ValueTask WriteAsync(string key, string value, CancellationToken cancellationToken)
    {
        Rows[key] = value;
        return ValueTask.CompletedTask;
    }
}

/// <summary>One application instance with the string-keyed cache "items" on Redis.</summary>
public sealed class StringInstance : IAsyncDisposable
{
    public StringInstance(string redis, string application, StringTable table, Action<CacheOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton(table);
        services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
            .UseRedis(o => o.Configuration = redis + RedisInstance.ShortTimeouts)
            .AddCache<string, string>("items", o =>
            {
                o.Distributed.Timeout = TimeSpan.FromSeconds(2);
                configure(o);
            })
            .WithLoader(sp => sp.GetRequiredService<StringTable>())
            .WithWriter(sp => sp.GetRequiredService<StringTable>());
        Provider = services.BuildServiceProvider();
        Cache = Provider.GetRequiredKeyedService<ICache<string, string>>("items");
    }

    public ServiceProvider Provider { get; }

    public ICache<string, string> Cache { get; }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>
/// No cache key, whatever its text, reaches the names the library keeps beside the entries: the durable write-back
/// stream, tag markers and stampede locks (layout 2 puts entries under <c>{application}:{cache}:data:</c>).
/// </summary>
public class KeyNamespaceTests
{
    /// <summary>Every name the library stores beside the entries, as a user could spell it, and then some.</summary>
    public static readonly string[] InternalLookalikes =
    [
        "writeback", "tag:sale", "tag:", "lock:x", "lock:", "data:alice", ":writeback", "items:writeback", "items:tag:sale",
        "{writeback}", "", "backplane", "😀:writeback",
    ];

    [Fact]
    public async Task A_user_key_named_like_an_internal_key_leaves_the_durable_queue_intact_and_every_acknowledged_write_reaches_the_database()
    {
        await using var _ = await ServerConnections.ConnectRedisAsync();
        var application = RedisInstance.NewApplication();
        var table = new StringTable();
        string[] keys = ["alice", .. InternalLookalikes, application + ":items:writeback"];
        await using var writer = new StringInstance(RedisInstance.SharedRedis, application, table, Durable);
        await using var flusher = new StringInstance(RedisInstance.SharedRedis, application, table, Durable);
        try
        {
            foreach (var key in keys)
            {
                await writer.Cache.SetAsync(key, "v1:" + key); // acknowledged: in the durable queue
            }

            foreach (var key in keys)
            {
                await writer.Cache.RemoveAsync(key); // layout 1: removing "writeback" deleted the queue
            }

            foreach (var key in keys)
            {
                await writer.Cache.SetAsync(key, "v2:" + key); // layout 1: WRONGTYPE once "writeback" was SET over the stream
            }

            await flusher.Cache.FlushAsync();

            Assert.Equal(keys.Length, table.Rows.Count);
            Assert.All(keys, key => Assert.Equal("v2:" + key, table.Rows[key]));
            foreach (var key in keys)
            {
                var lookup = await flusher.Cache.TryGetAsync(key); // from Redis: the flusher never held these in memory
                Assert.True(lookup.Found && lookup.Value == "v2:" + key, $"key '{key}' read back as '{lookup.Value}'");
            }

            await writer.Cache.SetAsync("after", "still working");
            await writer.Cache.FlushAsync();
            Assert.Equal("still working", table.Rows["after"]);
            await using var redis = await ServerConnections.ConnectRedisAsync();
            Assert.Equal(RedisType.Stream, await redis.GetDatabase().KeyTypeAsync(application + ":items:writeback"));
            Assert.Equal(0, await redis.GetDatabase().StreamLengthAsync(application + ":items:writeback"));
        }
        finally
        {
            await DeleteApplicationKeysAsync(application);
        }

        static void Durable(CacheOptions o)
        {
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.WriteBack.Durable = true;
            o.WriteBack.FlushInterval = TimeSpan.FromHours(1);
        }
    }

    [Fact]
    public async Task A_tag_invalidated_entry_stays_invalid_whatever_key_a_user_sets_or_removes()
    {
        await using var _ = await ServerConnections.ConnectRedisAsync();
        var application = RedisInstance.NewApplication();
        var table = new StringTable();
        await using var a = new StringInstance(RedisInstance.SharedRedis, application, table, CacheOnly);
        await using var b = new StringInstance(RedisInstance.SharedRedis, application, table, CacheOnly);
        try
        {
            await a.Cache.SetAsync("p1", "old price", tags: ["sale"]);
            Assert.Equal("old price", (await b.Cache.TryGetAsync("p1")).Value); // b reads it through Redis

            await a.Cache.RemoveByTagAsync("sale");
            foreach (var key in InternalLookalikes)
            {
                await a.Cache.RemoveAsync(key); // layout 1: removing "tag:sale" deleted the tag's marker
            }

            foreach (var key in InternalLookalikes)
            {
                await a.Cache.SetAsync(key, "user value"); // layout 1: an entry over the marker read as "never invalidated"
            }

            await using var c = new StringInstance(RedisInstance.SharedRedis, application, table, CacheOnly);
            var lookup = await c.Cache.TryGetAsync("p1"); // a fresh instance: nothing in memory, so Redis decides
            Assert.False(lookup.Found, $"the invalidated entry came back as '{lookup.Value}'");
            Assert.Equal("user value", (await c.Cache.TryGetAsync("tag:sale")).Value); // the user's own key works too
        }
        finally
        {
            await DeleteApplicationKeysAsync(application);
        }

        static void CacheOnly(CacheOptions o) => o.WriteStrategy = CacheWriteStrategy.CacheOnly;
    }

    [Fact]
    public async Task A_user_key_named_like_a_stampede_lock_does_not_hold_that_lock()
    {
        await using var _ = await ServerConnections.ConnectRedisAsync();
        var application = RedisInstance.NewApplication();
        var table = new StringTable();
        table.Rows["p2"] = "loaded";
        await using var instance = new StringInstance(RedisInstance.SharedRedis, application, table, o =>
        {
            o.WriteStrategy = CacheWriteStrategy.CacheOnly;
            o.Loading.UseDistributedLock = true;
            o.Loading.DistributedLockWait = TimeSpan.FromSeconds(2);
        });
        using var lockTimeouts = new MetricCollector<long>(instance.Provider.GetRequiredService<RedisCachingMetrics>().LockWaits);
        try
        {
            await instance.Cache.SetAsync("lock:p2", "user value"); // layout 1: this entry was the lock of "p2"

            Assert.Equal("loaded", await instance.Cache.GetOrLoadAsync("p2"));

            Assert.Empty(lockTimeouts.GetMeasurementSnapshot()); // the lock was taken, not waited out
            Assert.Equal("user value", (await instance.Cache.TryGetAsync("lock:p2")).Value);
        }
        finally
        {
            await DeleteApplicationKeysAsync(application);
        }
    }

    private static async Task DeleteApplicationKeysAsync(string application)
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: application + ":*"))
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
        }
    }
}
