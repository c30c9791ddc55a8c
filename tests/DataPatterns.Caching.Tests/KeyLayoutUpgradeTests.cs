using Microsoft.Extensions.Caching.Distributed;

namespace DataPatterns.Caching.Tests;

/// <summary>
/// While instances of key layout 1 and layout 2 share a store (a rolling upgrade), a layout-1 instance can still write a
/// user's entry where layout 2 keeps a tag marker, or a layout-1 entry where layout 2 keeps another key's entry. Neither
/// may make layout 2 serve a wrong or invalidated value.
/// </summary>
public class KeyLayoutUpgradeTests
{
    private static readonly DistributedCacheEntryOptions AnHour = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };

    [Fact]
    public async Task A_tag_marker_overwritten_by_anything_but_a_time_reads_as_invalidated()
    {
        await using var fixture = new CacheFixture(o => { o.Memory.Enabled = false; o.WriteStrategy = CacheWriteStrategy.CacheOnly; }, withDistributed: true);
        await fixture.Cache.SetAsync(1, "old price", tags: ["sale"]);
        await fixture.Cache.RemoveByTagAsync("sale");
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await fixture.Cache.SetAsync(2, "new price", tags: ["sale"]);
        Assert.Equal("new price", (await fixture.Cache.TryGetAsync(2)).Value); // written after the invalidation

        // A layout-1 instance's user entry "tag:sale" lands on the marker.
        await fixture.Distributed.SetAsync("datapatterns:items:tag:sale", new byte[40], AnHour);

        Assert.False((await fixture.Cache.TryGetAsync(1)).Found);
        Assert.False((await fixture.Cache.TryGetAsync(2)).Found); // unknown marker: reload rather than trust
    }

    [Fact]
    public async Task An_entry_written_in_layout_1_reads_as_a_miss()
    {
        await using var fixture = new CacheFixture(o => { o.Memory.Enabled = false; o.WriteStrategy = CacheWriteStrategy.CacheOnly; }, withDistributed: true);
        await fixture.Cache.SetAsync(1, "layout 2");
        var stored = await fixture.Distributed.GetAsync("datapatterns:items:data:1");
        Assert.NotNull(stored);
        Assert.Equal(CacheKeyLayout.Version, stored[0]); // the entry's format version names the layout

        // What a layout-1 instance writes for its key "data:1" lands on this layout's key 1.
        stored[0] = 1;
        await fixture.Distributed.SetAsync("datapatterns:items:data:1", stored, AnHour);

        Assert.False((await fixture.Cache.TryGetAsync(1)).Found);
    }
}
