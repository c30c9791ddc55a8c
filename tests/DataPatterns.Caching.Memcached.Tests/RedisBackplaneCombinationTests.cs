using DataPatterns.Caching.Redis;
using DataPatterns.Testing;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>Memcached as the L2 with Redis as the backplane: in either order of the calls, the L2 is Memcached and Redis invalidates.</summary>
public class RedisBackplaneCombinationTests
{
    [Fact]
    public void With_UseRedis_called_first_or_last_the_distributed_level_is_Memcached_and_the_backplane_Redis()
    {
        foreach (var memcachedFirst in new[] { true, false })
        {
            var services = new ServiceCollection();
            var caching = services.AddCaching();
            if (memcachedFirst)
            {
                caching.UseMemcached("127.0.0.1:1").UseRedis("127.0.0.1:2");
            }
            else
            {
                caching.UseRedis("127.0.0.1:2").UseMemcached("127.0.0.1:1");
            }

            using var provider = services.BuildServiceProvider();
            Assert.IsType<MemcachedDistributedCache>(provider.GetRequiredKeyedService<IDistributedCache>(CachingServiceKeys.DistributedCache));
            Assert.IsType<RedisBackplane>(provider.GetRequiredService<ICacheBackplane>());
        }
    }

    [Fact]
    public async Task A_write_on_one_instance_invalidates_the_other_instances_memory_copy_through_Redis_while_values_live_in_Memcached()
    {
        var servers = await MemcachedInstance.SharedServersAsync();
        await using (await ServerConnections.ConnectRedisAsync())
        {
        }

        var application = MemcachedInstance.NewApplication();
        var database = new SharedDatabase();
        database.Rows[1] = "v1";
        await using var a = new MemcachedInstance(servers, application, database, redisBackplane: TestServers.Redis.ConnectionString);
        await using var b = new MemcachedInstance(servers, application, database, redisBackplane: TestServers.Redis.ConnectionString);
        await ((RedisBackplane)b.Provider.GetRequiredService<ICacheBackplane>()).Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("v1", await b.Cache.GetOrLoadAsync(1));

        await a.Cache.SetAsync(1, "v2");

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await b.Cache.GetOrLoadAsync(1) != "v2")
        {
            Assert.True(DateTime.UtcNow < deadline, "instance b kept its stale memory copy");
            await Task.Delay(20);
        }

        Assert.Equal(1, database.Loads); // b read v2 from Memcached, not from the database
    }
}
