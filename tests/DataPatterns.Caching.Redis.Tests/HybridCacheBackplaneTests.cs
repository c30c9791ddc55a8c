using DataPatterns.Testing;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using static DataPatterns.Caching.Redis.Tests.BackplaneTests;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>
/// The HybridCache adapter on Redis, two instances (service providers) of one application: what Microsoft's HybridCache
/// does not do across instances (removals reaching other instances' memory) and fail-safe, through the HybridCache API.
/// </summary>
public class HybridCacheBackplaneTests
{
    [Fact]
    public async Task RemoveAsync_on_one_instance_reaches_the_other_instances_memory()
    {
        await using var _ = await ServerConnections.ConnectRedisAsync(); // a clear message when Redis is not there
        var (a, b) = await TwoInstancesAsync();
        await using (a)
        await using (b)
        {
            await a.Cache.SetAsync("k", "v1");
            Assert.Equal("v1", await b.Cache.GetOrCreateAsync("k", Factory("from b's factory"))); // now in b's memory

            await a.Cache.RemoveAsync("k");

            await WaitUntilAsync(async () => await b.Cache.GetOrCreateAsync("k", Factory("v2")) == "v2");
        }
    }

    [Fact]
    public async Task RemoveByTagAsync_on_one_instance_reaches_the_other_instances_memory_for_every_type()
    {
        var (a, b) = await TwoInstancesAsync();
        await using (a)
        await using (b)
        {
            await b.Cache.GetOrCreateAsync("text", Factory("v1"), tags: ["group"]);
            await b.Cache.GetOrCreateAsync("number", _ => ValueTask.FromResult(1), tags: ["group"]);
            await b.Cache.GetOrCreateAsync("untagged", Factory("v1"));
            await Task.Delay(5); // the tag's removal time must be later than the entries' creation time (milliseconds)

            await a.Cache.RemoveByTagAsync("group");

            await WaitUntilAsync(async () => await b.Cache.GetOrCreateAsync("text", Factory("v2")) == "v2");
            await WaitUntilAsync(async () => await b.Cache.GetOrCreateAsync("number", _ => ValueTask.FromResult(2)) == 2);
            Assert.Equal("v1", await b.Cache.GetOrCreateAsync("untagged", Factory("v2")));
        }
    }

    [Fact]
    public async Task SetAsync_on_one_instance_replaces_the_other_instances_memory_copy()
    {
        var (a, b) = await TwoInstancesAsync();
        await using (a)
        await using (b)
        {
            Assert.Equal("v1", await b.Cache.GetOrCreateAsync("k", Factory("v1")));

            await a.Cache.SetAsync("k", "v2");

            await WaitUntilAsync(async () => await b.Cache.GetOrCreateAsync("k", Factory("factory")) == "v2");
        }
    }

    [Fact]
    public async Task Fail_safe_serves_the_expired_value_when_the_factory_throws()
    {
        var application = RedisInstance.NewApplication();
        await using var a = new HybridInstance(application);
        var shortLived = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(300) };
        Assert.Equal("v1", await a.Cache.GetOrCreateAsync("k", Factory("v1"), shortLived));

        await Task.Delay(600);

        var value = await a.Cache.GetOrCreateAsync("k", static _ => ValueTask.FromException<string>(new InvalidOperationException("database down")), shortLived);
        Assert.Equal("v1", value);

        // Another instance has no memory copy: it finds the stale entry in Redis.
        await using var b = new HybridInstance(application);
        Assert.Equal("v1", await b.Cache.GetOrCreateAsync("k", static _ => ValueTask.FromException<string>(new InvalidOperationException("database down")), shortLived));
    }

    private static Func<CancellationToken, ValueTask<string>> Factory(string value) => _ => ValueTask.FromResult(value);

    private static async Task<(HybridInstance A, HybridInstance B)> TwoInstancesAsync()
    {
        var application = RedisInstance.NewApplication();
        var a = new HybridInstance(application);
        var b = new HybridInstance(application);

        // An instance subscribes when its first per-type cache is made.
        await a.Cache.GetOrCreateAsync("warm-up", Factory("x"));
        await b.Cache.GetOrCreateAsync("warm-up", Factory("x"));
        await a.BackplaneReadyAsync();
        await b.BackplaneReadyAsync();
        return (a, b);
    }

    /// <summary>One application instance whose HybridCache is the DataPatterns adapter on Redis, fail-safe on.</summary>
    private sealed class HybridInstance : IAsyncDisposable
    {
        public HybridInstance(string application)
        {
            var services = new ServiceCollection();
            services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
                .UseRedis(o => o.Configuration = RedisInstance.SharedRedis + RedisInstance.ShortTimeouts)
                .AddHybridCache(o =>
                {
                    o.Distributed.Timeout = TimeSpan.FromSeconds(2);
                    o.FailSafe.Enabled = true;
                    o.FailSafe.MaxStaleDuration = TimeSpan.FromMinutes(1);
                });
            Provider = services.BuildServiceProvider();
            Cache = Provider.GetRequiredService<HybridCache>();
        }

        public ServiceProvider Provider { get; }

        public HybridCache Cache { get; }

        public Task BackplaneReadyAsync() => ((RedisBackplane)Provider.GetRequiredService<ICacheBackplane>()).Subscribed.WaitAsync(TimeSpan.FromSeconds(10));

        public ValueTask DisposeAsync() => Provider.DisposeAsync();
    }
}
