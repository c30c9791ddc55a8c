using System.Diagnostics;
using DataPatterns.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>Redis going away: these tests kill a private Redis of their own, never the shared one.</summary>
[Collection(PrivateServers.Name)]
public class RedisOutageTests
{
    [Fact]
    public async Task With_Redis_stopped_reads_are_served_from_memory_and_the_loader_and_failed_writes_are_reported()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        database.Rows[2] = "v2";
        await using var instance = new RedisInstance(redis.ConnectionString, RedisInstance.NewApplication(), database);
        using var errors = new MetricCollector<long>(instance.Metrics.LevelErrors);
        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1));

        await redis.KillAsync();
        var clock = Stopwatch.StartNew();

        Assert.Equal("v1", await instance.Cache.GetOrLoadAsync(1)); // memory
        Assert.Equal("v2", await instance.Cache.GetOrLoadAsync(2)); // the loader
        await instance.Cache.SetAsync(3, "v3"); // write-through: the database takes it; the cache levels report the failure
        Assert.Equal("v3", database.Rows[3]);
        Assert.Equal("v3", await instance.Cache.GetOrLoadAsync(3));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"The calls took {clock.Elapsed}; a Redis outage must not hang requests.");
        Assert.Contains(errors.GetMeasurementSnapshot(), m => (string?)m.Tags["datapatterns.cache.level"] == "l2");
        Assert.Contains(errors.GetMeasurementSnapshot(), m => (string?)m.Tags["datapatterns.cache.level"] == "backplane");
    }

    [Fact]
    public async Task With_Redis_stopped_a_durable_write_back_write_fails_with_a_clear_error_and_is_not_cached()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var database = new SharedDatabase();
        await using var instance = new RedisInstance(redis.ConnectionString, RedisInstance.NewApplication(), database, o =>
        {
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.WriteBack.Durable = true;
        });
        await instance.Cache.SetAsync(1, "queued");

        await redis.KillAsync();

        var error = await Assert.ThrowsAsync<WriteBackUnavailableException>(() => instance.Cache.SetAsync(2, "lost?").AsTask());
        Assert.Contains("retry", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False((await instance.Cache.TryGetAsync(2)).Found);
    }

    [Fact]
    public async Task After_a_reconnect_the_memory_level_is_cleared_because_invalidations_may_have_been_lost()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        await using var a = new RedisInstance(redis.ConnectionString, application, database);
        await using var b = new RedisInstance(redis.ConnectionString, application, database);
        await b.BackplaneReadyAsync();
        Assert.Equal("v1", await b.Cache.GetOrLoadAsync(1));

        await redis.KillAsync();
        await a.Cache.SetAsync(1, "v2"); // the invalidation for b is lost: Redis is down
        Assert.Equal("v1", await b.Cache.GetOrLoadAsync(1)); // b still holds its memory copy
        await redis.StartAsync();

        await BackplaneTests.WaitUntilAsync(async () => await b.Cache.GetOrLoadAsync(1) == "v2", seconds: 45);
    }
}
