namespace DataPatterns.Caching.Tests;

public class InvalidationTests
{
    [Fact]
    public async Task Remove_drops_the_key_from_both_levels()
    {
        await using var fixture = new CacheFixture(withDistributed: true);
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);
        fixture.Database.Rows[1] = "v2";

        await fixture.Cache.RemoveAsync(1);

        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task Remove_by_tag_drops_every_entry_with_the_tag_and_only_those()
    {
        await using var fixture = new CacheFixture(withDistributed: true);
        await fixture.Cache.SetAsync(1, "a", ["red"]);
        await fixture.Cache.SetAsync(2, "b", ["red", "big"]);
        await fixture.Cache.SetAsync(3, "c", ["blue"]);
        fixture.Time.Advance(TimeSpan.FromMilliseconds(5));

        await fixture.Cache.RemoveByTagAsync("red");

        Assert.False((await fixture.Cache.TryGetAsync(1)).Found);
        Assert.False((await fixture.Cache.TryGetAsync(2)).Found);
        Assert.Equal("c", (await fixture.Cache.TryGetAsync(3)).Value);
    }

    [Fact]
    public async Task An_entry_written_with_a_tag_after_its_removal_is_kept()
    {
        await using var fixture = new CacheFixture(o => o.Memory.Enabled = false, withDistributed: true);
        await fixture.Cache.SetAsync(1, "a", ["red"]);
        fixture.Time.Advance(TimeSpan.FromMilliseconds(5));
        await fixture.Cache.RemoveByTagAsync("red");
        fixture.Time.Advance(TimeSpan.FromMilliseconds(5));

        await fixture.Cache.SetAsync(1, "b", ["red"]);

        Assert.Equal("b", (await fixture.Cache.TryGetAsync(1)).Value);
    }

    [Fact]
    public async Task The_distributed_level_alone_serves_reads_without_the_memory_level()
    {
        await using var fixture = new CacheFixture(o => o.Memory.Enabled = false, withDistributed: true);
        fixture.Database.Rows[1] = "v1";

        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));

        Assert.Equal(1, fixture.Database.Loads);
        Assert.Equal(1, fixture.Distributed.Count);
    }
}
