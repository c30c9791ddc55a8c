using DataPatterns.Testing;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>What a durable write-back acknowledgement is worth when Redis itself is killed and restarted.</summary>
[Collection(PrivateServers.Name)]
public class DurableAcrossRedisRestartTests
{
    /// <summary>
    /// Queues keys 1-20 ("a"), lets a flush take the first 10 and hold them in the writer, then queues keys 1-5 and 21-25
    /// ("b"), all acknowledged; kills Redis with -9 and restarts it from its files; then lets the held flush go.
    /// </summary>
    private static async Task<Dictionary<int, string>> KillRedisWithWritesQueuedAndAFlushHeldAsync(PrivateRedis redis, DurabilityInstance instance, VersionedRows rows)
    {
        var acknowledged = new Dictionary<int, string>();
        for (var key = 1; key <= 20; key++)
        {
            await instance.Cache.SetAsync(key, "a" + key);
            acknowledged[key] = "a" + key;
        }

        rows.HoldNextFlush();
        var held = instance.Cache.FlushAsync().AsTask();
        await rows.Taken.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var key in Enumerable.Range(1, 5).Concat(Enumerable.Range(21, 5)))
        {
            await instance.Cache.SetAsync(key, "b" + key);
            acknowledged[key] = "b" + key;
        }

        await redis.KillAsync();
        await redis.StartAsync();
        rows.Release();
        try
        {
            await held; // its acknowledgement may meet the restarting server
        }
        catch (WriteBackUnavailableException)
        {
        }
        catch (StackExchange.Redis.RedisException)
        {
        }

        return acknowledged;
    }

    [Fact]
    public async Task With_appendfsync_always_every_acknowledged_write_reaches_the_database_after_Redis_is_killed_and_restarted_and_none_out_of_order()
    {
        await using var redis = await PrivateRedis.StartNewAsync(["--appendonly", "yes", "--appendfsync", "always"]);
        var rows = new VersionedRows();
        await using var instance = new DurabilityInstance(
            redis.ConnectionString, RedisInstance.NewApplication(), rows, d => d.Persistence = RedisPersistenceRequirement.Refuse, batchSize: 10);
        _ = instance.Cache;
        await instance.StartingAsync(); // Refuse: this server is one a durable cache may start on

        var acknowledged = await KillRedisWithWritesQueuedAndAFlushHeldAsync(redis, instance, rows);
        await instance.FlushUntilEmptyAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(acknowledged.OrderBy(p => p.Key), rows.Rows.Select(r => KeyValuePair.Create(r.Key, r.Value.Value)).OrderBy(p => p.Key));
        Assert.True(rows.OfferedInOrder(), "no key was offered an older version after a newer one");
        Assert.All(acknowledged.Where(p => p.Value.StartsWith('a')), p => Assert.Contains(rows.Offered, e => e.Key == p.Key && e.Value == p.Value));
    }

    [Fact]
    public async Task Without_persistence_the_start_warns_and_a_Redis_restart_loses_every_write_still_queued_but_not_the_flush_in_progress()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var rows = new VersionedRows();
        await using var instance = new DurabilityInstance(redis.ConnectionString, RedisInstance.NewApplication(), rows, batchSize: 10);
        _ = instance.Cache;
        await instance.StartingAsync();
        Assert.Contains(instance.Log.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("persists nothing (appendonly no, save \"\")", StringComparison.Ordinal));

        await KillRedisWithWritesQueuedAndAFlushHeldAsync(redis, instance, rows);
        await instance.FlushUntilEmptyAsync(TimeSpan.FromSeconds(60));

        // What the docs say: the batch the flush held reaches the database; everything else still queued is gone.
        Assert.Equal(Enumerable.Range(1, 10).ToDictionary(k => k, k => "a" + k), rows.Rows.ToDictionary(r => r.Key, r => r.Value.Value));

        // The queue works again after the loss (its consumer group is made anew).
        await instance.SetWhenReachableAsync(30, "after");
        await instance.FlushUntilEmptyAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("after", rows.Rows[30].Value);
    }

    [Fact]
    public async Task A_write_after_a_failover_to_a_server_whose_ids_are_behind_gets_a_higher_version_than_the_one_in_the_database()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var rows = new VersionedRows();
        var application = RedisInstance.NewApplication();
        await using var instance = new DurabilityInstance(redis.ConnectionString, application, rows);

        // The first server hands out ids a minute ahead of the application's clock (its own clock runs ahead, or an
        // instance whose clock did pushed the stream's top): a version from it is in the database.
        await using (var connection = await ServerConnections.ConnectRedisAsync(redis.Server))
        {
            var stream = application + ":items:writeback";
            var ahead = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds();
            var id = await connection.GetDatabase().StreamAddAsync(stream, "k", "x", messageId: $"{ahead}-0");
            await connection.GetDatabase().StreamDeleteAsync(stream, [id]);
        }

        await instance.Cache.SetAsync(1, "old");
        await instance.FlushUntilEmptyAsync(TimeSpan.FromSeconds(30));
        var old = rows.Rows[1];
        Assert.Equal("old", old.Value);
        Assert.True(old.Version > WriteBackVersion.From(DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds(), 0), "the version in the database is ahead of the clock");

        // The server is replaced by one that has none of that stream (a restart without persistence, a failover to a
        // replica that never got it, whose clock is behind the old one's). A newer write must not be dropped as stale.
        await redis.KillAsync();
        await redis.StartAsync();
        await instance.SetWhenReachableAsync(1, "new");
        await instance.FlushUntilEmptyAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("new", rows.Rows[1].Value);
        Assert.True(rows.Rows[1].Version > old.Version);
    }
}
