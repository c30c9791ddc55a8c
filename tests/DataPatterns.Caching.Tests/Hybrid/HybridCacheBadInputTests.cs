using Microsoft.Extensions.Caching.Hybrid;

namespace DataPatterns.Caching.Tests.Hybrid;

/// <summary>Keys, tags and entry options the adapter refuses, each with an exception that names the problem.</summary>
public class HybridCacheBadInputTests
{
    private static ValueTask<string> Factory(CancellationToken cancellationToken) => ValueTask.FromResult("v");

    [Fact]
    public async Task A_null_key_is_refused()
    {
        await using var fixture = new HybridFixture();
        await Assert.ThrowsAsync<ArgumentNullException>(() => fixture.Cache.GetOrCreateAsync(null!, Factory).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => fixture.Cache.SetAsync<string>(null!, "v").AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => fixture.Cache.RemoveAsync((string)null!).AsTask());
    }

    [Fact]
    public async Task An_empty_key_is_refused()
    {
        await using var fixture = new HybridFixture();
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cache.GetOrCreateAsync(string.Empty, Factory).AsTask());
    }

    [Fact]
    public async Task A_key_longer_than_MaxKeyLength_is_refused_and_names_the_setting()
    {
        await using var fixture = new HybridFixture(o => o.MaxKeyLength = 100);
        var key = new string('k', 101);

        var error = await Assert.ThrowsAsync<CacheKeyException>(() => fixture.Cache.GetOrCreateAsync(key, Factory).AsTask());
        Assert.Contains("MaxKeyLength", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CacheKeyException>(() => fixture.Cache.SetAsync(key, "v").AsTask());
        Assert.Equal("v", await fixture.Cache.GetOrCreateAsync(new string('k', 100), Factory));
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData(null)]
    public async Task A_bad_tag_is_refused_on_write_whether_or_not_the_key_is_cached(string? tag)
    {
        await using var fixture = new HybridFixture();
        await fixture.Cache.SetAsync("cached", "v");

        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cache.GetOrCreateAsync("cached", Factory, tags: [tag!]).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cache.GetOrCreateAsync("missing", Factory, tags: [tag!]).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cache.SetAsync("k", "v", tags: [tag!]).AsTask());
    }

    [Fact]
    public async Task A_tag_over_256_characters_is_refused()
    {
        await using var fixture = new HybridFixture();
        var tag = new string('t', 257);

        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cache.SetAsync("k", "v", tags: [tag]).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cache.RemoveByTagAsync(tag).AsTask());
        await fixture.Cache.SetAsync("k", "v", tags: [new string('t', 256)]);
    }

    [Fact]
    public async Task An_empty_tag_is_refused_on_removal()
    {
        await using var fixture = new HybridFixture();
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Cache.RemoveByTagAsync(string.Empty).AsTask());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task An_Expiration_not_above_zero_is_refused(int seconds)
    {
        await using var fixture = new HybridFixture();
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromSeconds(seconds) };

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Cache.GetOrCreateAsync("k", Factory, options).AsTask());
        Assert.Contains("Expiration", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => fixture.Cache.SetAsync("k", "v", new HybridCacheEntryOptions { LocalCacheExpiration = TimeSpan.FromSeconds(seconds) }).AsTask());
    }
}
