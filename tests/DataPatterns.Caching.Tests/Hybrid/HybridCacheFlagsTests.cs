using Microsoft.Extensions.Caching.Hybrid;

namespace DataPatterns.Caching.Tests.Hybrid;

/// <summary>
/// <see cref="HybridCacheEntryFlags"/> on the adapter: every level flag is honoured (a flagged call reads and writes only
/// the levels it allows), DisableUnderlyingData never calls the factory, DisableCompression changes nothing.
/// </summary>
public class HybridCacheFlagsTests
{
    private static HybridCacheEntryOptions With(HybridCacheEntryFlags flags) => new() { Flags = flags };

    [Fact]
    public async Task DisableUnderlyingData_answers_default_on_a_miss_without_calling_the_factory_or_storing()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        var factory = new CountingFactory();

        Assert.Null(await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableUnderlyingData)));
        Assert.Equal(0, factory.Calls);
        Assert.Equal("value", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
    }

    [Fact]
    public async Task A_call_with_a_factory_never_joins_a_DisableUnderlyingData_call_and_gets_its_factorys_value()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.GetOrCreateAsync("warm", static _ => ValueTask.FromResult("x")); // the first L2 read is behind us
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Distributed.ReadGate = gate;

        var peek = fixture.Cache.GetOrCreateAsync("k", static _ => ValueTask.FromResult("never"), With(HybridCacheEntryFlags.DisableUnderlyingData)).AsTask();
        var load = fixture.Cache.GetOrCreateAsync("k", static _ => ValueTask.FromResult("from the factory")).AsTask();
        await Task.Delay(50); // both wait in L2
        fixture.Distributed.ReadGate = null;
        gate.SetResult();

        Assert.Null(await peek);
        Assert.Equal("from the factory", await load);
    }

    [Fact]
    public async Task DisableUnderlyingData_still_serves_what_is_cached()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("k", "cached");
        var factory = new CountingFactory();

        Assert.Equal("cached", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableUnderlyingData)));
        Assert.Equal(0, factory.Calls);
    }

    [Fact]
    public async Task DisableLocalCacheRead_reads_the_distributed_level_instead_of_memory()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("k", "in both");
        await fixture.Cache.SetAsync("k", "in memory only", With(HybridCacheEntryFlags.DisableDistributedCacheWrite));
        var factory = new CountingFactory();

        Assert.Equal("in both", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableLocalCacheRead)));
        Assert.Equal(0, factory.Calls);
    }

    [Fact]
    public async Task DisableLocalCacheRead_with_DisableLocalCacheWrite_leaves_memory_as_it_was()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("k", "in both");
        await fixture.Cache.SetAsync("k", "in memory only", With(HybridCacheEntryFlags.DisableDistributedCacheWrite));
        var factory = new CountingFactory();

        Assert.Equal("in both", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableLocalCache)));
        Assert.Equal("in memory only", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync));
        Assert.Equal(0, factory.Calls);
    }

    [Fact]
    public async Task DisableDistributedCacheRead_calls_the_factory_rather_than_read_the_distributed_level()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("k", "in L2 only", With(HybridCacheEntryFlags.DisableLocalCacheWrite));
        var factory = new CountingFactory { Next = "fresh" };

        Assert.Equal("fresh", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableDistributedCacheRead)));
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task DisableLocalCacheWrite_keeps_the_result_out_of_memory()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        var factory = new CountingFactory { Next = "v1" };
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableLocalCacheWrite));
        Assert.Equal(1, fixture.Distributed.Count);

        // Memory was not written, L2 is not read: only the factory can answer.
        factory.Next = "v2";
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableDistributedCache)));
        Assert.Equal(2, factory.Calls);
    }

    [Fact]
    public async Task DisableLocalCacheWrite_on_an_L2_hit_does_not_copy_it_into_memory()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("k", "v1", With(HybridCacheEntryFlags.DisableLocalCacheWrite));
        var factory = new CountingFactory { Next = "v2" };

        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableLocalCacheWrite)));
        Assert.Equal("v2", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableDistributedCache)));
    }

    [Fact]
    public async Task DisableDistributedCacheWrite_keeps_the_result_out_of_the_distributed_level()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        var factory = new CountingFactory { Next = "v1" };

        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableDistributedCacheWrite)));
        await fixture.Cache.SetAsync("s", "v1", With(HybridCacheEntryFlags.DisableDistributedCacheWrite));

        Assert.Equal(0, fixture.Distributed.Count);
        Assert.Equal("v1", await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync)); // from memory
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task DisableLocalCacheWrite_on_SetAsync_drops_the_older_memory_copy()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        await fixture.Cache.SetAsync("k", "old");

        await fixture.Cache.SetAsync("k", "new", With(HybridCacheEntryFlags.DisableLocalCacheWrite));

        Assert.Equal("new", await fixture.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult("factory")));
    }

    [Fact]
    public async Task Both_levels_disabled_runs_the_factory_every_time()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        var factory = new CountingFactory();
        var none = With(HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableDistributedCache);

        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, none);
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, none);

        Assert.Equal(2, factory.Calls);
        Assert.Equal(0, fixture.Distributed.Count);
    }

    [Fact]
    public async Task DisableCompression_changes_nothing()
    {
        await using var fixture = new HybridFixture(withDistributed: true);
        var factory = new CountingFactory();

        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableCompression));
        await fixture.Cache.GetOrCreateAsync("k", factory.CreateAsync, With(HybridCacheEntryFlags.DisableCompression));

        Assert.Equal(1, factory.Calls);
    }
}
