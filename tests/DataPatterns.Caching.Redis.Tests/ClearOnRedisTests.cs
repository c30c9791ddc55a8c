using DataPatterns.Testing;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>ClearAsync over Redis: one marker key instead of deleting entries, and every instance's memory cleared by the backplane.</summary>
public class ClearOnRedisTests
{
    [Fact]
    public async Task Clearing_drops_every_instances_memory_copy_and_hides_every_entry_without_deleting_a_key()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        var application = RedisInstance.NewApplication();
        var database = new SharedDatabase();
        for (var key = 0; key < 1000; key++)
        {
            database.Rows[key] = $"v{key}";
        }

        await using var a = new RedisInstance(RedisInstance.SharedRedis, application, database);
        await using var b = new RedisInstance(RedisInstance.SharedRedis, application, database);
        await a.BackplaneReadyAsync();
        await b.BackplaneReadyAsync();
        await a.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 1000));
        Assert.Equal("v1", await b.Cache.GetOrLoadAsync(1)); // from Redis, now in b's memory
        var keysBefore = await CountKeysAsync(redis, application);
        database.Rows[1] = "v1-new";

        await a.Cache.ClearAsync();

        await BackplaneTests.WaitUntilAsync(async () => await b.Cache.GetOrLoadAsync(1) == "v1-new");
        Assert.Equal(keysBefore + 1, await CountKeysAsync(redis, application)); // the marker; no entry was deleted
        await using var c = new RedisInstance(RedisInstance.SharedRedis, application, database);
        Assert.False((await c.Cache.TryGetAsync(500)).Found);
        var loads = database.Loads;
        Assert.Equal("v500", await c.Cache.GetOrLoadAsync(500));
        Assert.Equal(loads + 1, database.Loads);
    }

    [Fact]
    public async Task A_cache_of_another_application_or_name_is_not_cleared()
    {
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        await using var mine = new RedisInstance(RedisInstance.SharedRedis, RedisInstance.NewApplication(), database);
        await using var other = new RedisInstance(RedisInstance.SharedRedis, RedisInstance.NewApplication(), database);
        await mine.Cache.GetOrLoadAsync(1);
        await other.Cache.GetOrLoadAsync(1);

        await mine.Cache.ClearAsync();

        await using var otherAgain = new RedisInstance(RedisInstance.SharedRedis, other.Application, database);
        Assert.True((await otherAgain.Cache.TryGetAsync(1)).Found);
    }

    private static async Task<int> CountKeysAsync(ConnectionMultiplexer redis, string application)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var count = 0;
        await foreach (var _ in server.KeysAsync(pattern: application + ":*"))
        {
            count++;
        }

        return count;
    }
}
