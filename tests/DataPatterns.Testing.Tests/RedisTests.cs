using StackExchange.Redis;

namespace DataPatterns.Testing.Tests;

public sealed class RedisTests
{
    [Fact]
    public async Task Redis_answers_ping()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        var latency = await redis.GetDatabase().PingAsync();
        Assert.True(latency < TimeSpan.FromSeconds(1), $"PING took {latency}.");
    }

    [Fact]
    public async Task Redis_round_trips_a_value()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        var database = redis.GetDatabase();
        var key = new RedisKey($"dp-test:{Guid.NewGuid():N}");
        var value = $"value-{Guid.NewGuid():N}";

        Assert.True(await database.StringSetAsync(key, value, TimeSpan.FromMinutes(1)));
        Assert.Equal(value, (string?)await database.StringGetAsync(key));
        Assert.True(await database.KeyDeleteAsync(key));
        Assert.True((await database.StringGetAsync(key)).IsNull);
    }
}
