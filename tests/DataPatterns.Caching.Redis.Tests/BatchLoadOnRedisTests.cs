using DataPatterns.Testing;
using System.Diagnostics;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>GetOrLoadManyAsync over a real Redis L2: what one instance loaded, another reads; a dead Redis only costs loads.</summary>
[Collection(PrivateServers.Name)]
public class BatchLoadOnRedisTests
{
    [Fact]
    public async Task A_batch_on_a_second_instance_reads_what_the_first_loaded_from_Redis_and_loads_only_the_rest()
    {
        var database = new SharedDatabase();
        for (var key = 0; key < 200; key++)
        {
            database.Rows[key] = $"v{key}";
        }

        var application = RedisInstance.NewApplication();
        await using var first = new RedisInstance(RedisInstance.SharedRedis, application, database);
        await using var second = new RedisInstance(RedisInstance.SharedRedis, application, database);
        await first.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 150));
        Assert.Equal(150, database.Loads);

        var values = await second.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 200));

        Assert.Equal(200, database.Loads); // keys 150..199 only
        Assert.Equal(Enumerable.Range(0, 200).Select(k => $"v{k}"), values.OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public async Task With_Redis_killed_a_batch_is_served_by_memory_and_the_loader_within_the_timeouts()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var database = new SharedDatabase();
        for (var key = 0; key < 100; key++)
        {
            database.Rows[key] = $"v{key}";
        }

        await using var instance = new RedisInstance(redis.ConnectionString, RedisInstance.NewApplication(), database);
        await instance.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 50));

        await redis.KillAsync();
        var clock = Stopwatch.StartNew();
        var values = await instance.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 100));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"The batch took {clock.Elapsed}; a dead Redis must not hang it.");
        Assert.Equal(Enumerable.Range(0, 100).Select(k => $"v{k}"), values.OrderBy(p => p.Key).Select(p => p.Value));
        Assert.Equal(100, database.Loads); // 0..49 from memory, 50..99 loaded once each
    }
}
