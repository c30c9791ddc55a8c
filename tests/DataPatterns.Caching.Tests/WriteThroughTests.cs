namespace DataPatterns.Caching.Tests;

public class WriteThroughTests
{
    [Fact]
    public async Task After_write_through_returns_the_database_and_the_cache_agree()
    {
        await using var fixture = new CacheFixture(o => o.WriteStrategy = CacheWriteStrategy.WriteThrough, withDistributed: true);

        await fixture.Cache.SetAsync(1, "written");

        Assert.Equal("written", fixture.Database.Rows[1]);
        Assert.Equal("written", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(0, fixture.Database.Loads);
    }

    [Fact]
    public async Task A_failed_database_write_leaves_no_cached_value_behind()
    {
        await using var fixture = new CacheFixture(o => o.WriteStrategy = CacheWriteStrategy.WriteThrough, withDistributed: true);
        fixture.Database.Rows[1] = "old";
        Assert.Equal("old", await fixture.Cache.GetOrLoadAsync(1));
        fixture.Database.WriterDown = true;

        await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Cache.SetAsync(1, "unwritten").AsTask());

        Assert.Equal("old", fixture.Database.Rows[1]);
        Assert.Equal("old", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(2, fixture.Database.Loads); // the cached copy was dropped, so it was read again from the database
    }

    [Fact]
    public async Task A_load_that_started_before_a_write_does_not_overwrite_the_written_value()
    {
        await using var fixture = new CacheFixture(o => o.WriteStrategy = CacheWriteStrategy.WriteThrough);
        fixture.Database.Rows[1] = "old";
        fixture.Database.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowRead = fixture.Cache.GetOrLoadAsync(1).AsTask();
        await LazyLoadingTests.WaitUntilAsync(() => fixture.Database.Loads == 1);

        await fixture.Cache.SetAsync(1, "new");
        fixture.Database.Rows[1] = "new";
        fixture.Database.Gate.SetResult();
        await slowRead;

        Assert.Equal("new", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task The_distributed_level_failing_does_not_fail_a_write_through_and_is_reported()
    {
        await using var fixture = new CacheFixture(o => o.WriteStrategy = CacheWriteStrategy.WriteThrough, withDistributed: true);
        using var errors = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<CachingMetrics>(fixture.Provider).LevelErrors);
        fixture.Distributed.Down = true;

        await fixture.Cache.SetAsync(1, "written");

        Assert.Equal("written", fixture.Database.Rows[1]);
        Assert.Equal("written", await fixture.Cache.GetOrLoadAsync(1));
        Assert.NotEmpty(errors.GetMeasurementSnapshot());
    }
}
