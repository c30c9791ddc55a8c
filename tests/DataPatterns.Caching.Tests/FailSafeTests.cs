using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataPatterns.Caching.Tests;

public class FailSafeTests
{
    private static void FailSafe(CacheOptions o)
    {
        o.Expiration.Duration = TimeSpan.FromSeconds(10);
        o.FailSafe.Enabled = true;
        o.FailSafe.MaxStaleDuration = TimeSpan.FromSeconds(30);
    }

    [Fact]
    public async Task When_the_loader_fails_a_recently_expired_value_is_served_and_counted()
    {
        await using var fixture = new CacheFixture(FailSafe);
        using var stale = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().StaleServed);
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);

        fixture.Time.Advance(TimeSpan.FromSeconds(20));
        fixture.Database.LoaderDown = true;

        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(1, stale.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task Past_the_fail_safe_window_the_failure_reaches_the_caller()
    {
        await using var fixture = new CacheFixture(FailSafe);
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);

        fixture.Time.Advance(TimeSpan.FromSeconds(41));
        fixture.Database.LoaderDown = true;

        await Assert.ThrowsAsync<CacheLoadException>(() => fixture.Cache.GetOrLoadAsync(1).AsTask());
    }

    [Fact]
    public async Task An_expired_value_is_never_served_while_the_loader_works()
    {
        await using var fixture = new CacheFixture(FailSafe);
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);
        fixture.Database.Rows[1] = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task A_timed_out_loader_falls_back_to_the_stale_value()
    {
        await using var fixture = new CacheFixture(o =>
        {
            FailSafe(o);
            o.Loading.Timeout = TimeSpan.FromSeconds(1);
        });
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);
        fixture.Time.Advance(TimeSpan.FromSeconds(15));
        fixture.Database.Hang = true;

        var read = fixture.Cache.GetOrLoadAsync(1).AsTask();
        fixture.Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("v1", await read);
    }

    [Fact]
    public async Task A_stale_value_from_the_distributed_level_is_served_when_the_loader_fails()
    {
        await using var fixture = new CacheFixture(
            o =>
            {
                FailSafe(o);
                o.Memory.Enabled = false;
            },
            withDistributed: true);
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);
        fixture.Time.Advance(TimeSpan.FromSeconds(20));
        fixture.Database.LoaderDown = true;

        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
    }
}
