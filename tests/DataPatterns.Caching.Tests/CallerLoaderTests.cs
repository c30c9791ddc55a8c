namespace DataPatterns.Caching.Tests;

/// <summary>The internal get-or-load with the caller's own loader (what the HybridCache adapter uses).</summary>
public class CallerLoaderTests
{
    [Fact]
    public async Task A_callers_loader_answers_a_miss_and_its_result_is_cached()
    {
        await using var fixture = new CacheFixture(o => o.Expiration.Duration = TimeSpan.FromSeconds(10));
        var cache = (Cache<int, string>)fixture.Cache;
        var own = new TestDatabase();
        own.Rows[1] = "from the caller";
        fixture.Database.Rows[1] = "from the registered loader";

        Assert.Equal("from the caller", await cache.GetOrLoadAsync(1, own, CancellationToken.None));
        Assert.Equal("from the caller", await cache.GetOrLoadAsync(1, CancellationToken.None));

        Assert.Equal(1, own.Loads);
        Assert.Equal(0, fixture.Database.Loads);
    }

    [Fact]
    public async Task A_callers_loader_that_fails_fails_that_load_only()
    {
        await using var fixture = new CacheFixture();
        var cache = (Cache<int, string>)fixture.Cache;
        var own = new TestDatabase { LoaderDown = true };
        fixture.Database.Rows[1] = "v";

        var error = await Assert.ThrowsAsync<CacheLoadException>(() => cache.GetOrLoadAsync(1, own, CancellationToken.None).AsTask());
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal("v", await cache.GetOrLoadAsync(1, CancellationToken.None));
    }
}
