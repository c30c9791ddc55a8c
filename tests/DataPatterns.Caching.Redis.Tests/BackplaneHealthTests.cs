using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>The backplane health check on a private Redis that the test kills and restarts.</summary>
[Collection(PrivateServers.Name)]
public class BackplaneHealthTests
{
    [Fact]
    public async Task Subscribed_is_healthy_a_killed_redis_is_degraded_then_the_failure_status_and_a_restart_heals_it()
    {
        await using var redis = await PrivateRedis.StartNewAsync();
        await using var instance = new RedisInstance(redis.ConnectionString, RedisInstance.NewApplication(), new SharedDatabase(),
            extra: services => services.AddLogging().AddHealthChecks()
                .AddCacheBackplaneCheck(tags: ["ready"])
                .AddCacheBackplaneCheck("backplane-strict", maxDisconnected: TimeSpan.FromMilliseconds(1)));
        await instance.BackplaneReadyAsync();
        var health = instance.Provider.GetRequiredService<HealthCheckService>();

        var up = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, up.Entries["datapatterns-cache-backplane"].Status);
        Assert.Equal(1, up.Entries["datapatterns-cache-backplane"].Data["caches"]);

        await redis.KillAsync();
        var down = await UntilAsync(health, r => r.Entries["backplane-strict"].Status == HealthStatus.Unhealthy);
        Assert.Equal(HealthStatus.Degraded, down.Entries["datapatterns-cache-backplane"].Status);
        Assert.Contains("invalidations from other instances are missed", down.Entries["datapatterns-cache-backplane"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, down.Entries["backplane-strict"].Status);

        await redis.StartAsync();
        var back = await UntilAsync(health, r => r.Entries["datapatterns-cache-backplane"].Status == HealthStatus.Healthy, seconds: 45);
        Assert.Equal(HealthStatus.Healthy, back.Entries["datapatterns-cache-backplane"].Status);
        Assert.True(back.Entries["datapatterns-cache-backplane"].Data.ContainsKey("last_resync_age_seconds"));
    }

    [Fact]
    public async Task Without_a_cache_on_the_backplane_the_check_is_healthy()
    {
        var services = new ServiceCollection();
        services.AddLogging().AddHealthChecks().AddCacheBackplaneCheck();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    private static async Task<HealthReport> UntilAsync(HealthCheckService health, Func<HealthReport, bool> done, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var report = await health.CheckHealthAsync();
        while (!done(report) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            report = await health.CheckHealthAsync();
        }

        return report;
    }
}
