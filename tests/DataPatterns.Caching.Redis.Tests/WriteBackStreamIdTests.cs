using DataPatterns.Testing;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>The ids (versions) the durable queue appends with: the application's clock, never below what it has seen.</summary>
public class WriteBackStreamIdTests
{
    private sealed class StoppedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    [Fact]
    public async Task Ids_follow_the_application_clock_and_stay_above_the_highest_seen_even_when_the_stream_is_lost_within_the_millisecond()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        var database = redis.GetDatabase();
        RedisKey stream = RedisInstance.NewApplication() + ":ids:writeback";
        var appender = new RedisWriteBackAppender(new RedisWriteBackDurabilityOptions(), new StoppedClock(Now));
        try
        {
            var ms = Now.ToUnixTimeMilliseconds();
            Assert.Equal($"{ms}-0", await appender.AppendAsync(redis, stream, new byte[] { 1 }, new byte[] { 2 }, CancellationToken.None));
            Assert.Equal($"{ms}-1", await appender.AppendAsync(redis, stream, new byte[] { 1 }, new byte[] { 2 }, CancellationToken.None));

            // The stream is lost (a Redis restart without persistence) while the clock is still in the same millisecond:
            // the next id must not start again at sequence 0, below the version already handed out.
            await database.KeyDeleteAsync(stream);
            Assert.Equal($"{ms}-2", await appender.AppendAsync(redis, stream, new byte[] { 1 }, new byte[] { 2 }, CancellationToken.None));
            Assert.Equal(1, await database.StreamLengthAsync(stream));
        }
        finally
        {
            await database.KeyDeleteAsync(stream);
        }
    }

    [Fact]
    public async Task An_id_below_the_stream_top_takes_the_top_millisecond_not_the_server_clock()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        var database = redis.GetDatabase();
        RedisKey stream = RedisInstance.NewApplication() + ":ids:writeback";
        var appender = new RedisWriteBackAppender(new RedisWriteBackDurabilityOptions(), new StoppedClock(Now));
        try
        {
            // Another instance, its clock a second ahead, appended last.
            var ahead = Now.ToUnixTimeMilliseconds() + 1_000;
            await database.StreamAddAsync(stream, "k", "x", messageId: $"{ahead}-5");

            var id = await appender.AppendAsync(redis, stream, new byte[] { 1 }, new byte[] { 2 }, CancellationToken.None);

            Assert.Equal($"{ahead}-6", id);
            Assert.Equal(RedisWriteBackStore.VersionOf(id), appender.Floor);
        }
        finally
        {
            await database.KeyDeleteAsync(stream);
        }
    }
}
