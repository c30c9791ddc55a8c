using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Tests;

public class BadInputTests
{
    [Fact]
    public async Task A_null_key_is_rejected()
    {
        var services = new ServiceCollection();
        services.AddCaching().AddCache<string, string>("names");
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredKeyedService<ICache<string, string>>("names");

        await Assert.ThrowsAnyAsync<ArgumentNullException>(() => cache.GetOrLoadAsync(null!).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentNullException>(() => cache.SetAsync(null!, "x").AsTask());
    }

    [Fact]
    public async Task An_over_long_key_is_rejected_with_a_message_that_names_the_setting()
    {
        var services = new ServiceCollection();
        services.AddCaching().AddCache<string, string>("names", o => o.MaxKeyLength = 16);
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredKeyedService<ICache<string, string>>("names");

        var error = await Assert.ThrowsAsync<CacheKeyException>(() => cache.GetOrLoadAsync(new string('k', 17)).AsTask());

        Assert.Contains("MaxKeyLength", error.Message, StringComparison.Ordinal);
    }

    // Attribute arguments are stored as UTF-8, where a lone surrogate does not survive: the text is built here.
    [Theory]
    [InlineData("a", 0xD800, "")]
    [InlineData("a", 0xDC00, "")]
    [InlineData("", 0xDC00, "\uD800")]
    [InlineData("ok", 0xD83D, " then more")]
    public async Task A_key_or_tag_with_an_unpaired_surrogate_is_rejected_because_it_would_share_an_entry_with_others(string before, int surrogate, string after)
    {
        var text = before + (char)surrogate + after;
        var services = new ServiceCollection();
        services.AddCaching().AddCache<string, string>("names");
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredKeyedService<ICache<string, string>>("names");

        var error = await Assert.ThrowsAsync<CacheKeyException>(() => cache.GetOrLoadAsync(text).AsTask());
        Assert.Contains("surrogate", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CacheKeyException>(() => cache.GetOrLoadManyAsync(["fine", text]).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("fine", "v", [text]).AsTask());
        await cache.SetAsync("\uD83D\uDE00 paired", "v"); // a well-formed pair is a key like any other
        Assert.Equal("v", (await cache.TryGetAsync("\uD83D\uDE00 paired")).Value);
    }

    [Fact]
    public async Task A_value_that_fails_to_serialise_is_rejected_and_nothing_is_stored_or_written()
    {
        var writes = 0;
        var services = new ServiceCollection();
        services.AddSingleton<IDistributedCache>(new FakeDistributedCache(TimeProvider.System));
        services.AddCaching(c => c.UseDistributedCache()
            .AddCache<int, Unserialisable>("things", o => o.WriteStrategy = CacheWriteStrategy.WriteThrough)
            .WithWriter(_ => new CountingWriter(() => writes++)));
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredKeyedService<ICache<int, Unserialisable>>("things");

        await Assert.ThrowsAsync<CacheSerializationException>(() => cache.SetAsync(1, new Unserialisable()).AsTask());

        Assert.Equal(0, writes);
        Assert.False((await cache.TryGetAsync(1)).Found);
    }

    [Fact]
    public async Task The_distributed_level_failing_does_not_fail_reads_and_is_counted()
    {
        await using var fixture = new CacheFixture(withDistributed: true);
        fixture.Distributed.Down = true;
        fixture.Database.Rows[1] = "one";

        Assert.Equal("one", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal("one", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(1, fixture.Database.Loads);
    }

    [Fact]
    public async Task Bytes_in_the_distributed_level_that_are_not_an_entry_read_as_a_miss_never_as_a_wrong_value()
    {
        await using var fixture = new CacheFixture(o => o.Memory.Enabled = false, withDistributed: true);
        fixture.Database.Rows[1] = "one";
        await fixture.Distributed.SetAsync("datapatterns:items:data:1", [1, 2, 3], new DistributedCacheEntryOptions());
        await fixture.Distributed.SetAsync("datapatterns:items:data:2", [CacheKeyLayout.Version, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42], new DistributedCacheEntryOptions());

        Assert.Equal("one", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Null(await fixture.Cache.GetOrLoadAsync(2));
        Assert.Equal(2, fixture.Database.Loads);
    }

    [Fact]
    public void Invalid_options_fail_at_start_up_with_messages_that_name_the_setting()
    {
        var services = new ServiceCollection();
        services.AddCaching().AddCache<int, string>("broken", o =>
        {
            o.Expiration.Duration = TimeSpan.Zero;
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.Loading.RefreshAheadRatio = 1.5;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<CacheOptions>>().Get("broken"));

        Assert.Contains(error.Failures, f => f.Contains("Expiration.Duration", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains(".WithWriter<TWriter>()", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("RefreshAheadRatio", StringComparison.Ordinal));
    }

    [Fact]
    public void Durable_write_back_without_a_store_fails_at_start_up_and_says_to_call_UseRedis()
    {
        var services = new ServiceCollection();
        services.AddCaching().AddCache<int, string>("durable", o =>
        {
            o.WriteStrategy = CacheWriteStrategy.WriteBack;
            o.WriteBack.Durable = true;
        }).WithWriter(_ => new TestDatabase());
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<CacheOptions>>().Get("durable"));

        Assert.Contains("UseRedis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_caches_with_one_name_are_refused()
    {
        var caching = new ServiceCollection().AddCaching();
        caching.AddCache<int, string>("same");

        Assert.Throws<InvalidOperationException>(() => caching.AddCache<int, int>("same"));
    }

    public sealed class Unserialisable
    {
        public string? Hidden { get; set; }

        public string Value => Hidden ?? throw new InvalidOperationException("cannot be read");
    }

    private sealed class CountingWriter(Action onWrite) : ICacheWriter<int, Unserialisable>
    {
        public ValueTask WriteAsync(int key, Unserialisable value, CancellationToken cancellationToken)
        {
            onWrite();
            return ValueTask.CompletedTask;
        }
    }
}
