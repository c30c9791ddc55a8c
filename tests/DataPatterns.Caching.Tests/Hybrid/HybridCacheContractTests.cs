using Microsoft.Extensions.Caching.Hybrid;

namespace DataPatterns.Caching.Tests.Hybrid;

/// <summary>The documented contract of <see cref="HybridCache"/>, checked on the DataPatterns adapter.</summary>
public class HybridCacheContractTests
{
    private static readonly HybridCacheEntryOptions TenSeconds = new() { Expiration = TimeSpan.FromSeconds(10) };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_factory_runs_on_a_miss_and_its_value_is_cached(bool withDistributed)
    {
        await using var fixture = new HybridFixture(withDistributed: withDistributed);
        var factory = new CountingFactory { Next = "v1" };

        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
        factory.Next = "v2";
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));

        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task Concurrent_callers_of_one_key_share_one_factory_call()
    {
        await using var fixture = new HybridFixture();
        var factory = new CountingFactory { Next = "v", Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };

        var callers = Enumerable.Range(0, 20).Select(_ => fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync).AsTask()).ToArray();
        factory.Gate.SetResult();
        var values = await Task.WhenAll(callers);

        Assert.All(values, v => Assert.Equal("v", v));
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task The_state_is_passed_to_the_factory()
    {
        await using var fixture = new HybridFixture();
        var state = (Id: 42, Name: "answer");

        var value = await fixture.Cache.GetOrCreateAsync("k", state, static (s, _) => ValueTask.FromResult($"{s.Name}:{s.Id}"));

        Assert.Equal("answer:42", value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_entry_lives_for_its_Expiration_and_no_longer(bool withDistributed)
    {
        await using var fixture = new HybridFixture(withDistributed: withDistributed);
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds);
        factory.Next = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds));
    }

    [Fact]
    public async Task Without_Expiration_the_cache_Duration_applies()
    {
        await using var fixture = new HybridFixture(o => o.Expiration.Duration = TimeSpan.FromSeconds(30));
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync);
        factory.Next = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
    }

    [Fact]
    public async Task LocalCacheExpiration_shortens_the_memory_copy_only()
    {
        await using var fixture = new HybridFixture();
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromSeconds(60), LocalCacheExpiration = TimeSpan.FromSeconds(5) };
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, options);
        factory.Next = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(5)); // no L2 here: once the memory copy is gone, the factory runs
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, options));
    }

    [Fact]
    public async Task LocalCacheExpiration_falls_back_on_the_distributed_copy()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromSeconds(60), LocalCacheExpiration = TimeSpan.FromSeconds(5) };
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, options);

        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, options));
        Assert.Equal(1, factory.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SetAsync_overwrites_what_GetOrCreateAsync_cached(bool withDistributed)
    {
        await using var fixture = new HybridFixture(withDistributed: withDistributed);
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync);

        await fixture.Cache.SetAsync("k", "v2");

        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task SetAsync_respects_its_Expiration()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        var factory = new CountingFactory { Next = "from factory" };
        await fixture.Cache.SetAsync("k", "set", TenSeconds);

        fixture.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("set", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("from factory", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RemoveAsync_makes_the_next_read_call_the_factory(bool withDistributed)
    {
        await using var fixture = new HybridFixture(withDistributed: withDistributed);
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("a", factory.CreateAsync);
        await fixture.Cache.GetOrCreateAsync("b", factory.CreateAsync);
        await fixture.Cache.GetOrCreateAsync("c", factory.CreateAsync);
        factory.Next = "v2";

        await fixture.Cache.RemoveAsync("a");
        await fixture.Cache.RemoveAsync(["b", "c"]);

        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("a", factory.CreateAsync));
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("b", factory.CreateAsync));
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("c", factory.CreateAsync));
    }

    [Fact]
    public async Task RemoveAsync_of_a_key_never_read_here_removes_it_from_the_distributed_level()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await using var other = new HybridFixture(sharedDistributed: fixture.Distributed, time: fixture.Time);
        await other.Cache.SetAsync("k", "v1");

        await fixture.Cache.RemoveAsync("k"); // this instance has made no per-type cache yet

        var factory = new CountingFactory { Next = "v2" };
        await using var third = new HybridFixture(sharedDistributed: fixture.Distributed, time: fixture.Time);
        Assert.Equal("v2", await third.Cache.GetOrCreateAsync("k", factory.CreateAsync));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RemoveByTagAsync_removes_the_tagged_entries_only(bool withDistributed)
    {
        await using var fixture = new HybridFixture(withDistributed: withDistributed);
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("a", factory.CreateAsync, tags: ["red"]);
        await fixture.Cache.SetAsync("b", "v1", tags: ["red", "blue"]);
        await fixture.Cache.SetAsync("c", "v1", tags: ["blue"]);
        await fixture.Cache.SetAsync("d", "v1");
        factory.Next = "v2";

        await fixture.Cache.RemoveByTagAsync("red");

        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("a", factory.CreateAsync));
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("b", factory.CreateAsync));
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("c", factory.CreateAsync));
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("d", factory.CreateAsync));

        await fixture.Cache.RemoveByTagAsync(["blue"]);
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("c", factory.CreateAsync));
    }

    [Fact]
    public async Task Removal_reaches_every_value_type()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("text", "v1", tags: ["t"]);
        await fixture.Cache.SetAsync("number", 1, tags: ["t"]);
        await fixture.Cache.SetAsync("other", 7);

        await fixture.Cache.RemoveByTagAsync("t");
        await fixture.Cache.RemoveAsync("other");

        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("text", _ => ValueTask.FromResult("v2")));
        Assert.Equal(2, await fixture.Cache.GetOrCreateAsync("number", _ => ValueTask.FromResult(2)));
        Assert.Equal(8, await fixture.Cache.GetOrCreateAsync("other", _ => ValueTask.FromResult(8)));
    }

    [Fact]
    public async Task RemoveByTag_star_clears_every_entry__red_until_ICache_ClearAsync_is_merged()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("a", "v1", tags: ["x"]);
        await fixture.Cache.SetAsync("b", 1);

        await fixture.Cache.RemoveByTagAsync("*");

        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("a", _ => ValueTask.FromResult("v2")));
        Assert.Equal(2, await fixture.Cache.GetOrCreateAsync("b", _ => ValueTask.FromResult(2)));
    }

    [Fact]
    public async Task A_factory_exception_reaches_the_caller_as_it_is_and_is_not_cached()
    {
        await using var fixture = new HybridFixture();
        var factory = new CountingFactory { Throw = new InvalidOperationException("database down") };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync).AsTask());
        Assert.Equal("database down", error.Message);

        factory.Throw = null;
        Assert.Equal("value", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
        Assert.Equal(2, factory.Calls);
    }

    [Fact]
    public async Task A_cancelled_caller_stops_waiting_and_the_shared_load_still_completes()
    {
        await using var fixture = new HybridFixture();
        var factory = new CountingFactory { Next = "v", Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var cancel = new CancellationTokenSource();

        var waiting = fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, cancellationToken: cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        factory.Gate.SetResult();
        await WaitUntilAsync(async () => await fixture.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult<string?>("other")) == "v");
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task An_already_cancelled_token_on_a_miss_throws_without_a_value()
    {
        await using var fixture = new HybridFixture();
        var factory = new CountingFactory { Gate = new TaskCompletionSource() };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, cancellationToken: new CancellationToken(true)).AsTask());
        factory.Gate.SetResult();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_null_value_is_cached_like_any_other(bool withDistributed)
    {
        await using var fixture = new HybridFixture(withDistributed: withDistributed);
        var factory = new CountingFactory { Next = null };

        Assert.Null(await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds));
        factory.Next = "v";
        Assert.Null(await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds));
        Assert.Equal(1, factory.Calls);

        fixture.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("v", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds));
    }

    [Fact]
    public async Task Fail_safe_serves_the_expired_value_when_the_factory_throws()
    {
        await using var fixture = new HybridFixture(o =>
        {
            o.FailSafe.Enabled = true;
            o.FailSafe.MaxStaleDuration = TimeSpan.FromMinutes(1);
        });
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds);

        fixture.Time.Advance(TimeSpan.FromSeconds(11));
        factory.Throw = new InvalidOperationException("database down");

        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds));
        Assert.Equal(2, factory.Calls);
    }

    [Fact]
    public async Task Refresh_ahead_reloads_a_read_entry_in_the_background_with_the_callers_factory()
    {
        await using var fixture = new HybridFixture(o => o.Loading.RefreshAheadRatio = 0.5);
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds);
        factory.Next = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds)); // served now, refreshed behind

        await WaitUntilAsync(async () => await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, TenSeconds) == "v2");
        fixture.Time.Advance(TimeSpan.FromSeconds(5)); // past the first entry's expiry: the refreshed one lives on
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult<string?>("v3"), TenSeconds));
        Assert.Equal(2, factory.Calls);
    }

    [Fact]
    public async Task A_key_read_as_another_type_is_a_miss_and_never_an_object_of_the_wrong_type()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("k", "text");

        Assert.Equal(5, await fixture.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult(5)));
        Assert.Equal("reloaded", await fixture.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("reloaded")));
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 10 seconds.");
            await Task.Delay(10);
        }
    }
}
