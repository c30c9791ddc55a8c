using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>
/// A write that could not reach the distributed level leaves the old value there: the cache reads that key from the
/// loader meanwhile and deletes the old copy once the level answers again.
/// </summary>
public class DistributedRepairTests
{
    private const string L2Key = "datapatterns:items:data:1";

    private static void WriteThroughWithoutMemory(CacheOptions o)
    {
        o.WriteStrategy = CacheWriteStrategy.WriteThrough;
        o.Memory.Enabled = false;
    }

    [Fact]
    public async Task After_a_write_through_missed_L2_the_old_copy_is_never_served_and_is_deleted_once_L2_answers()
    {
        await using var fixture = new CacheFixture(WriteThroughWithoutMemory, withDistributed: true);
        using var repairs = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().Repairs);
        fixture.Database.Rows[1] = "v1";
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1)); // now in L2

        fixture.Distributed.Down = true;
        await fixture.Cache.SetAsync(1, "v2"); // the database takes it; L2 keeps "v1"
        fixture.Distributed.Down = false;

        Assert.NotNull(await fixture.Distributed.GetAsync(L2Key)); // the old copy is still there...
        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1)); // ...but this instance reads the loader, not it
        Assert.False((await fixture.Cache.TryGetAsync(1)).Value == "v1");

        await fixture.Cache.SetAsync(2, "w"); // L2 answers again: the repair runs
        await WaitUntilAsync(() => repairs.GetMeasurementSnapshot().Sum(m => m.Value) == 1);

        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task Another_instance_sharing_L2_stops_reading_the_old_value_once_the_level_is_repaired()
    {
        await using var writer = new CacheFixture(WriteThroughWithoutMemory, withDistributed: true);
        await using var reader = new CacheFixture(o => o.Memory.Enabled = false, withDistributed: true, services: s => s.AddSingleton<Microsoft.Extensions.Caching.Distributed.IDistributedCache>(writer.Distributed));
        writer.Database.Rows[1] = "v1";
        reader.Database.Rows[1] = "v1";
        Assert.Equal("v1", await writer.Cache.GetOrLoadAsync(1));
        Assert.Equal("v1", await reader.Cache.GetOrLoadAsync(1));
        Assert.Equal(0, reader.Database.Loads); // read from the shared L2

        writer.Distributed.Down = true;
        await writer.Cache.SetAsync(1, "v2");
        reader.Database.Rows[1] = "v2"; // the same database, as the other instance sees it
        writer.Distributed.Down = false;
        await writer.Cache.RemoveAsync(99); // any successful call to L2 starts the repair

        await WaitUntilAsync(async () => await writer.Distributed.GetAsync(L2Key) is null);
        Assert.Equal("v2", await reader.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task A_tag_removal_that_missed_L2_is_recorded_again_once_the_level_answers()
    {
        await using var fixture = new CacheFixture(o => o.Memory.Enabled = false, withDistributed: true);
        await fixture.Cache.SetAsync(1, "tagged", ["group"]);
        fixture.Time.Advance(TimeSpan.FromMilliseconds(5));

        fixture.Distributed.Down = true;
        await fixture.Cache.RemoveByTagAsync("group");
        fixture.Distributed.Down = false;
        Assert.False((await fixture.Cache.TryGetAsync(1)).Found); // not from this instance, though L2 did not hear of the removal
        await using var other = new CacheFixture(o => o.Memory.Enabled = false, withDistributed: true, services: s => s.AddSingleton<Microsoft.Extensions.Caching.Distributed.IDistributedCache>(fixture.Distributed));
        Assert.True((await other.Cache.TryGetAsync(1)).Found); // another instance still reads it from L2

        fixture.Time.Advance(TimeSpan.FromMilliseconds(5));
        await fixture.Cache.SetAsync(2, "other"); // starts the repair
        await WaitUntilAsync(async () => !(await other.Cache.TryGetAsync(1)).Found);
    }

    [Fact]
    public async Task A_value_removed_by_a_tag_that_missed_L2_is_not_served_by_fail_safe_either()
    {
        await using var fixture = new CacheFixture(
            o =>
            {
                o.Memory.Enabled = false;
                o.Expiration.Duration = TimeSpan.FromSeconds(10);
                o.FailSafe.Enabled = true;
                o.FailSafe.MaxStaleDuration = TimeSpan.FromMinutes(5);
            },
            withDistributed: true);
        await fixture.Cache.SetAsync(1, "tagged", ["group"]);
        fixture.Time.Advance(TimeSpan.FromMilliseconds(5));

        fixture.Distributed.Down = true;
        await fixture.Cache.RemoveByTagAsync("group"); // L2 did not hear of it: the tag awaits repair
        fixture.Distributed.Down = false;

        // Expired in L2 but inside the fail-safe window, and the loader fails: the removed value must not come back.
        fixture.Time.Advance(TimeSpan.FromSeconds(20));
        fixture.Database.LoaderDown = true;
        await Assert.ThrowsAsync<CacheLoadException>(() => fixture.Cache.GetOrLoadAsync(1).AsTask());
    }

    [Fact]
    public async Task Repeated_failures_on_one_key_are_repaired_once_and_leave_nothing_owed()
    {
        await using var fixture = new CacheFixture(WriteThroughWithoutMemory, withDistributed: true);
        using var repairs = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().Repairs);
        await fixture.Cache.SetAsync(1, "v1");
        fixture.Distributed.Down = true;
        await fixture.Cache.SetAsync(1, "v2");
        await fixture.Cache.SetAsync(1, "v3");   // the same key fails twice
        fixture.Distributed.Down = false;

        await fixture.Cache.SetAsync(2, "other"); // L2 answers again: the repair runs
        await WaitUntilAsync(() => repairs.GetMeasurementSnapshot().Sum(m => m.Value) == 1);
        Assert.Equal("v3", await fixture.Cache.GetOrLoadAsync(1));
        await using var other = new CacheFixture(WriteThroughWithoutMemory, withDistributed: true, services: s => s.AddSingleton<Microsoft.Extensions.Caching.Distributed.IDistributedCache>(fixture.Distributed));
        other.Database.Rows[1] = "v3";
        Assert.Equal("v3", await other.Cache.GetOrLoadAsync(1)); // L2's "v1" was deleted, not served
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 10 seconds.");
            await Task.Delay(10);
        }
    }
}
