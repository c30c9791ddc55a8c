namespace DataPatterns.Caching.Tests;

/// <summary>The loader decides, per result, how long it lives, its tags, or that it is not cached (CacheLoadContext).</summary>
public sealed class LoaderEntryOptionsTests
{
    [Fact]
    public async Task A_duration_set_by_the_loader_replaces_the_caches_own_in_both_levels()
    {
        await using var fixture = new CacheFixture(o => o.Expiration.Duration = TimeSpan.FromMinutes(5), withDistributed: true);
        fixture.Database.DecideEntry = static (key, _, context) => context.Duration = key == 1 ? TimeSpan.FromSeconds(10) : null;
        fixture.Database.Rows[1] = "short-v1";
        fixture.Database.Rows[2] = "long-v1";
        await fixture.Cache.GetOrLoadAsync(1);
        await fixture.Cache.GetOrLoadAsync(2);
        fixture.Database.Rows[1] = "short-v2";
        fixture.Database.Rows[2] = "long-v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal("short-v2", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal("long-v1", await fixture.Cache.GetOrLoadAsync(2));
        Assert.Equal(3, fixture.Database.Loads); // the short entry was not served from L2 either
    }

    [Fact]
    public async Task Tags_set_by_the_loader_are_removed_by_RemoveByTagAsync()
    {
        await using var fixture = new CacheFixture(withDistributed: true);
        fixture.Database.DecideEntry = static (key, _, context) => context.Tags = key % 2 == 0 ? ["even"] : ["odd"];
        for (var key = 1; key <= 4; key++)
        {
            fixture.Database.Rows[key] = $"v{key}";
            await fixture.Cache.GetOrLoadAsync(key);
        }

        await fixture.Cache.RemoveByTagAsync("even");

        for (var key = 1; key <= 4; key++)
        {
            Assert.Equal(key % 2 == 0, !(await fixture.Cache.TryGetAsync(key)).Found);
        }
    }

    [Fact]
    public async Task A_tagged_entry_the_loader_gives_a_long_life_never_outlives_the_marker_of_its_tag_removal()
    {
        await using var first = new CacheFixture(o => o.Expiration.Duration = TimeSpan.FromMinutes(5), withDistributed: true);
        first.Database.DecideEntry = static (_, _, context) =>
        {
            context.Duration = TimeSpan.FromDays(1);
            context.Tags = ["catalog"];
        };
        first.Database.Rows[1] = "v1";
        await first.Cache.GetOrLoadAsync(1);
        first.Time.Advance(TimeSpan.FromMilliseconds(1));
        await first.Cache.RemoveByTagAsync("catalog");

        first.Time.Advance(TimeSpan.FromMinutes(6)); // the removal's marker has expired

        await using var second = new CacheFixture(o => o.Expiration.Duration = TimeSpan.FromMinutes(5), withDistributed: true, shareWith: first);
        Assert.False((await second.Cache.TryGetAsync(1)).Found);
    }

    [Fact]
    public async Task A_result_the_loader_marks_do_not_cache_reaches_its_callers_and_is_loaded_again_next_time()
    {
        await using var fixture = new CacheFixture(withDistributed: true);
        fixture.Database.Rows[1] = "partial";
        fixture.Database.DecideEntry = static (_, value, context) => context.DoNotCache = value == "partial";

        Assert.Equal("partial", await fixture.Cache.GetOrLoadAsync(1));
        Assert.False((await fixture.Cache.TryGetAsync(1)).Found);
        fixture.Database.Rows[1] = "complete";
        Assert.Equal("complete", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal("complete", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(2, fixture.Database.Loads);
    }

    [Fact]
    public async Task A_not_found_the_loader_gives_a_duration_is_cached_for_it_though_the_cache_does_not_cache_not_found()
    {
        await using var fixture = new CacheFixture(o => o.Loading.NotFoundDuration = TimeSpan.Zero);
        fixture.Database.DecideEntry = static (_, value, context) => context.Duration = value is null ? TimeSpan.FromSeconds(30) : null;

        Assert.Null(await fixture.Cache.GetOrLoadAsync(7));
        Assert.Null(await fixture.Cache.GetOrLoadAsync(7));
        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(await fixture.Cache.GetOrLoadAsync(7));

        Assert.Equal(2, fixture.Database.Loads);
    }

    [Theory]
    [InlineData("duration")]
    [InlineData("tag")]
    public async Task A_bad_decision_fails_the_load_with_the_rule_named_and_caches_nothing(string what)
    {
        await using var fixture = new CacheFixture();
        fixture.Database.Rows[1] = "v1";
        fixture.Database.DecideEntry = (_, _, context) =>
        {
            if (what == "duration")
            {
                context.Duration = TimeSpan.Zero;
            }
            else
            {
                context.Tags = [new string('t', 300)];
            }
        };

        var error = await Assert.ThrowsAsync<CacheLoadException>(() => fixture.Cache.GetOrLoadAsync(1).AsTask());

        Assert.Contains(what == "duration" ? "DoNotCache instead of a zero duration" : "at most 256 characters", error.Message, StringComparison.Ordinal);
        Assert.False((await fixture.Cache.TryGetAsync(1)).Found);
    }
}
