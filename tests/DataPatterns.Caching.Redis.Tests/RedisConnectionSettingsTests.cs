using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>The package's own multiplexer settings and the read bound it reports to the caches (no server needed).</summary>
public class RedisConnectionSettingsTests
{
    [Fact]
    public void By_default_commands_time_out_after_one_second_checked_every_tenth_of_it()
    {
        var options = RedisConnection.Configure("127.0.0.1:6379", new RedisCachingOptions().CommandTimeout);

        Assert.Equal(1000, options.AsyncTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.HeartbeatInterval);
        Assert.False(options.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, options.BacklogPolicy);
        var (store, connection) = StoreOf(o => o.Configuration = "127.0.0.1:6379");
        Assert.Equal(TimeSpan.FromMilliseconds(1100), connection.CommandBound);
        Assert.Equal(Timeout.InfiniteTimeSpan, store.ReadBound); // not connected yet: a read may wait for the connect
    }

    [Fact]
    public void An_async_timeout_in_the_configuration_string_wins_over_CommandTimeout()
    {
        var options = RedisConnection.Configure("127.0.0.1:6379,asyncTimeout=3000", TimeSpan.FromSeconds(1));

        Assert.Equal(3000, options.AsyncTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(300), options.HeartbeatInterval);
    }

    [Fact]
    public void A_sync_timeout_in_the_configuration_string_keeps_the_clients_own_async_default()
    {
        var options = RedisConnection.Configure("127.0.0.1:6379,syncTimeout=3000", TimeSpan.FromSeconds(1));

        Assert.Equal(3000, options.AsyncTimeout); // StackExchange.Redis: asyncTimeout follows syncTimeout
    }

    [Fact]
    public void A_long_timeout_keeps_the_clients_default_heartbeat_and_a_short_one_a_floor_of_50_ms()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), RedisConnection.Configure("h:1", TimeSpan.FromSeconds(30)).HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), RedisConnection.Configure("h:1", TimeSpan.FromMilliseconds(100)).HeartbeatInterval);
    }

    [Fact]
    public void The_applications_own_multiplexer_reports_no_bound_so_the_cache_keeps_its_own_timeout()
    {
        var (store, connection) = StoreOf(o => o.ConnectionMultiplexerFactory = _ => throw new InvalidOperationException("not connected in this test"));

        Assert.Equal(Timeout.InfiniteTimeSpan, store.ReadBound);
        Assert.Equal(Timeout.InfiniteTimeSpan, connection.CommandBound);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(-1000)]
    public void A_command_timeout_out_of_range_fails_at_start_up_saying_what_to_set(int milliseconds)
    {
        var services = new ServiceCollection();
        services.AddCaching().UseRedis(o =>
        {
            o.Configuration = "127.0.0.1:6379";
            o.CommandTimeout = TimeSpan.FromMilliseconds(milliseconds);
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisCachingOptions>>().Value);
        Assert.Contains("CommandTimeout must be between 10 ms and 10 minutes", error.Message, StringComparison.Ordinal);
    }

    private static (IBoundedDistributedCache Store, RedisConnection Connection) StoreOf(Action<RedisCachingOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddCaching().UseRedis(configure);
        using var provider = services.BuildServiceProvider(); // the bounds are settled at construction; nothing connects here
        return ((IBoundedDistributedCache)provider.GetRequiredKeyedService<IDistributedCache>(CachingServiceKeys.DistributedCache), provider.GetRequiredService<RedisConnection>());
    }
}
