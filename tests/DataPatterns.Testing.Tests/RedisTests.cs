using StackExchange.Redis;

namespace DataPatterns.Testing.Tests;

public sealed class RedisTests
{
    [Fact]
    public async Task Redis_answers_ping()
    {
        // What is checked is the answer, not its speed: a shared two-core machine running every test project at once
        // has seen a PING take over a second.
        await using var redis = await ServerConnections.ConnectRedisAsync();
        var reply = await redis.GetDatabase().ExecuteAsync("PING");
        Assert.Equal("PONG", reply.ToString());
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
