using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>The write-back health check, and the warning when nothing runs the flush loop.</summary>
public class WriteBackHealthTests
{
    private static Action<CacheOptions> WriteBack(int capacity = 1000) => o =>
    {
        o.WriteStrategy = CacheWriteStrategy.WriteBack;
        o.WriteBack.Capacity = capacity;
        o.WriteBack.BatchSize = Math.Min(capacity, 100);
        o.WriteBack.RetryDelay = TimeSpan.FromSeconds(1);
    };

    [Fact]
    public async Task Without_a_write_back_cache_the_check_is_healthy()
    {
        await using var fixture = new CacheFixture(services: WithCheck());

        var entry = await CheckAsync(fixture);

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("No cache writes back.", entry.Description);
    }

    [Fact]
    public async Task Queued_writes_that_no_flush_loop_runs_for_are_a_failure()
    {
        await using var fixture = new CacheFixture(WriteBack(), services: WithCheck());
        await fixture.Cache.SetAsync(1, "v1");

        var entry = await CheckAsync(fixture);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("no flush loop runs", entry.Description, StringComparison.Ordinal);
        Assert.Equal(1L, entry.Data["cache.items.queue_depth"]);
    }

    [Fact]
    public async Task With_the_flush_loop_running_queued_writes_reach_the_database_and_the_check_is_healthy()
    {
        await using var fixture = new CacheFixture(WriteBack(), services: WithCheck());
        var hosted = await StartHostedAsync(fixture);
        await fixture.Cache.SetAsync(1, "v1");

        var entry = await UntilAsync(fixture, e => e.Status == HealthStatus.Healthy && (long)e.Data["cache.items.queue_depth"] == 0);
        await StopHostedAsync(hosted);

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.True((bool)entry.Data["cache.items.flush_loop_running"]);
        Assert.Equal("v1", fixture.Database.Rows[1]);
    }

    [Fact]
    public async Task A_database_that_refuses_writes_makes_it_degraded_and_past_the_allowed_age_a_failure()
    {
        await using var fixture = new CacheFixture(WriteBack(), services: WithCheck(TimeSpan.FromMinutes(1)));
        fixture.Database.WriterDown = true;
        var hosted = await StartHostedAsync(fixture);
        await fixture.Cache.SetAsync(1, "v1");

        var degraded = await UntilAsync(fixture, e => e.Status == HealthStatus.Degraded);
        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        var failed = await UntilAsync(fixture, e => e.Status == HealthStatus.Unhealthy);
        fixture.Database.WriterDown = false;
        await StopHostedAsync(hosted);

        Assert.Contains("failed and are retried", degraded.Description, StringComparison.Ordinal);
        Assert.Contains("has held queued writes for", failed.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_over_half_its_capacity_is_degraded()
    {
        await using var fixture = new CacheFixture(WriteBack(capacity: 4), services: WithCheck());
        fixture.Database.WriterDown = true;
        var hosted = await StartHostedAsync(fixture);
        await fixture.Cache.SetAsync(1, "a");
        await fixture.Cache.SetAsync(2, "b");

        var entry = await UntilAsync(fixture, e => e.Description!.Contains("queue at 2 of 4", StringComparison.Ordinal));
        fixture.Database.WriterDown = false;
        await StopHostedAsync(hosted);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
    }

    [Fact]
    public async Task Writes_queued_with_no_flush_loop_for_30_s_log_one_warning_naming_the_fix()
    {
        await using var fixture = new CacheFixture(WriteBack(), services: s => s.AddLogging(l => l.AddFakeLogging()));
        await fixture.Cache.SetAsync(1, "v1");
        await fixture.Cache.SetAsync(2, "v2");

        fixture.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(Warnings(fixture));
        fixture.Time.Advance(TimeSpan.FromSeconds(2));

        var warning = Assert.Single(Warnings(fixture));
        Assert.Contains("flush loop has not started", warning.Message, StringComparison.Ordinal);
        Assert.Contains("RunAsync", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_warning_when_the_flush_loop_runs()
    {
        await using var fixture = new CacheFixture(WriteBack(), services: s => s.AddLogging(l => l.AddFakeLogging()));
        var hosted = await StartHostedAsync(fixture);
        await fixture.Cache.SetAsync(1, "v1");

        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        await StopHostedAsync(hosted);

        Assert.Empty(Warnings(fixture));
    }

    private static IEnumerable<FakeLogRecord> Warnings(CacheFixture fixture) =>
        fixture.Provider.GetFakeLogCollector().GetSnapshot().Where(r => r.Level == LogLevel.Warning && r.Message.Contains("flush loop", StringComparison.Ordinal));

    private static Action<IServiceCollection> WithCheck(TimeSpan? maxPendingAge = null) => services =>
    {
        services.AddLogging();
        services.AddHealthChecks().AddCacheWriteBackCheck(tags: ["ready"], maxPendingAge: maxPendingAge);
    };

    private static async Task<HealthReportEntry> CheckAsync(CacheFixture fixture)
    {
        var report = await fixture.Provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));
        return report.Entries["datapatterns-cache-writeback"];
    }

    private static async Task<HealthReportEntry> UntilAsync(CacheFixture fixture, Func<HealthReportEntry, bool> done)
    {
        var entry = await CheckAsync(fixture);
        for (var i = 0; i < 500 && !done(entry); i++)
        {
            // The flush loop waits for its interval on the fake clock.
            fixture.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
            entry = await CheckAsync(fixture);
        }

        return entry;
    }

    private static async Task<List<IHostedService>> StartHostedAsync(CacheFixture fixture)
    {
        var hosted = fixture.Provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        return hosted;
    }

    private static async Task StopHostedAsync(List<IHostedService> hosted)
    {
        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }
    }
}
