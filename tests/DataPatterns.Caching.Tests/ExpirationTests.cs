namespace DataPatterns.Caching.Tests;

public class ExpirationTests
{
    [Fact]
    public async Task An_entry_expires_after_its_duration_and_is_loaded_again()
    {
        await using var fixture = new CacheFixture(o => o.Expiration.Duration = TimeSpan.FromSeconds(10));
        fixture.Database.Rows[1] = "v1";
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        fixture.Database.Rows[1] = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task Sliding_expiration_keeps_a_used_entry_but_never_past_the_absolute_duration()
    {
        await using var fixture = new CacheFixture(o =>
        {
            o.Expiration.Duration = TimeSpan.FromSeconds(60);
            o.Expiration.SlidingExpiration = TimeSpan.FromSeconds(10);
        });
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);
        fixture.Database.Rows[1] = "v2";

        for (var i = 0; i < 5; i++)
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1)); // used within the window: still there at 45 s
        }

        fixture.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1)); // 54 s
        fixture.Time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1)); // 61 s: past the absolute duration
    }

    [Fact]
    public async Task An_unused_entry_expires_after_the_sliding_window()
    {
        await using var fixture = new CacheFixture(o =>
        {
            o.Expiration.Duration = TimeSpan.FromSeconds(60);
            o.Expiration.SlidingExpiration = TimeSpan.FromSeconds(10);
        });
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);
        fixture.Database.Rows[1] = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task Jitter_spreads_the_expiry_of_keys_loaded_together()
    {
        await using var fixture = new CacheFixture(o =>
        {
            o.Expiration.Duration = TimeSpan.FromSeconds(100);
            o.Expiration.JitterMaxDuration = TimeSpan.FromSeconds(20);
        });
        for (var key = 0; key < 200; key++)
        {
            fixture.Database.Rows[key] = "x";
            await fixture.Cache.GetOrLoadAsync(key);
        }

        fixture.Time.Advance(TimeSpan.FromSeconds(100));
        for (var key = 0; key < 200; key++)
        {
            await fixture.Cache.GetOrLoadAsync(key);
        }

        var reloadedAt100 = fixture.Database.Loads - 200;
        Assert.InRange(reloadedAt100, 0, 40); // only those whose jitter was (almost) zero

        fixture.Time.Advance(TimeSpan.FromSeconds(10));
        for (var key = 0; key < 200; key++)
        {
            await fixture.Cache.GetOrLoadAsync(key);
        }

        var reloadedBy110 = fixture.Database.Loads - 200;
        Assert.InRange(reloadedBy110, 40, 160); // about half: expiries spread over 20 s, not all at once

        fixture.Time.Advance(TimeSpan.FromSeconds(11));
        var before = fixture.Database.Loads;
        for (var key = 0; key < 200; key++)
        {
            await fixture.Cache.GetOrLoadAsync(key);
        }

        Assert.True(fixture.Database.Loads - before <= 200 - reloadedBy110 + reloadedAt100, "every key reloads once by duration + jitter");
    }

    [Fact]
    public async Task The_memory_level_evicts_the_least_recently_used_entries_past_its_size_limit()
    {
        await using var fixture = new CacheFixture(o => o.Memory.MaxEntries = 100);
        var cache = (Cache<int, string>)fixture.Cache;
        for (var key = 0; key < 100; key++)
        {
            fixture.Database.Rows[key] = "x";
            await cache.GetOrLoadAsync(key);
            fixture.Time.Advance(TimeSpan.FromMilliseconds(10));
        }

        fixture.Time.Advance(TimeSpan.FromMilliseconds(10));
        await cache.GetOrLoadAsync(0); // key 0 is now recently used
        fixture.Database.Rows[100] = "x";
        await cache.GetOrLoadAsync(100); // over the limit: compacts to 90

        Assert.InRange(cache.MemoryCount, 80, 91);
        var loads = fixture.Database.Loads;
        await cache.GetOrLoadAsync(0);
        await cache.GetOrLoadAsync(100);
        Assert.Equal(loads, fixture.Database.Loads); // the recently used ones stayed
        await cache.GetOrLoadAsync(1);
        Assert.Equal(loads + 1, fixture.Database.Loads); // the oldest went
    }
}
