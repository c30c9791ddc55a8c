using DataPatterns.EntityFrameworkCore.Sharding;
using DataPatterns.Sharding;
using FsCheck;
using FsCheck.Xunit;

namespace DataPatterns.EntityFrameworkCore.Tests.Sharding;

/// <summary>
/// A LINQ query over every shard: merged pages equal the same page of all rows sorted in memory, and aggregates equal the
/// aggregate of all rows. Each test empties the table and writes its own rows, so the class's tests run one at a time.
/// </summary>
public sealed class ScatterGatherQueryTests(ThreeShardsFixture fixture) : IClassFixture<ThreeShardsFixture>
{
    private static readonly ShardedOrder<ShardOrder> ByAmountDescendingThenId =
        ShardedOrder<ShardOrder>.ByDescending(o => o.Amount).ThenBy(o => o.Id);

    private ShardSetup Setup => fixture.Setup;

    /// <summary>
    /// Random rows (amounts from a small range, so many ties, broken by id), a random page: the merged page is the page of
    /// all rows sorted in memory, row for row.
    /// </summary>
    [Property(MaxTest = 25, EndSize = 60)]
    public async Task An_ordered_page_over_all_shards_equals_the_same_page_of_all_rows_sorted_in_memory(long[] customers, byte skip, byte take, bool bounded)
    {
        var orders = RandomOrders(customers);
        await Setup.TruncateAsync();
        await Setup.SaveAsync(orders);
        var pageSkip = skip % (orders.Count + 3);
        var pageTake = take % 12;

        var page = await Setup.Factory.QueryPageAsync(
            context => context.Orders.Where(o => o.Amount >= 0),
            ByAmountDescendingThenId,
            pageSkip,
            pageTake,
            new ScatterGatherOptions { MaxParallelism = bounded ? 1 : 3 });

        var expected = orders.OrderByDescending(o => o.Amount).ThenBy(o => o.Id).Skip(pageSkip).Take(pageTake).Select(o => o.Id);
        Assert.Equal(expected, page.Rows.Select(o => o.Id));
        Assert.False(page.IsPartial);
    }

    [Property(MaxTest = 10, EndSize = 40)]
    public async Task Count_sum_min_and_max_over_all_shards_equal_those_of_all_rows(long[] customers)
    {
        var orders = RandomOrders(customers);
        await Setup.TruncateAsync();
        await Setup.SaveAsync(orders);

        var count = await Setup.Factory.CountAsync(c => c.Orders.Where(o => o.Amount > 1));
        var sum = await Setup.Factory.SumAsync(c => c.Orders.Select(o => (long)o.Amount));
        var min = await Setup.Factory.MinAsync(c => c.Orders.Select(o => o.Id));
        var max = await Setup.Factory.MaxAsync(c => c.Orders.Select(o => o.Amount));

        Assert.Equal(orders.Count(o => o.Amount > 1), count.Value);
        Assert.Equal(orders.Sum(o => (long)o.Amount), sum.Value);
        Assert.Equal(orders.Count == 0 ? null : orders.Min(o => o.Id), min.Value);
        Assert.Equal(orders.Count == 0 ? null : orders.Max(o => o.Amount), max.Value);
    }

    [Fact]
    public async Task Scatter_gather_returns_each_shards_rows_under_its_shard()
    {
        var orders = RandomOrders(Enumerable.Range(1, 40).Select(i => (long)i * 104_729).ToArray());
        await Setup.TruncateAsync();
        await Setup.SaveAsync(orders);

        var result = await Setup.Factory.ScatterGatherAsync(c => c.Orders.OrderBy(o => o.Id));

        Assert.Equal(3, result.PerShard.Count);
        foreach (var shardRows in result.PerShard)
        {
            Assert.Equal(orders.Where(o => Setup.Resolver.Resolve(o.CustomerId) == shardRows.Shard).Select(o => o.Id), shardRows.Rows.Select(o => o.Id));
        }
    }

    [Fact]
    public async Task A_subset_of_shards_is_asked_alone()
    {
        var orders = RandomOrders(Enumerable.Range(1, 30).Select(i => (long)i * 7_919).ToArray());
        await Setup.TruncateAsync();
        await Setup.SaveAsync(orders);
        var node3 = Setup.Resolver.GetShard("node3");

        var count = await Setup.Factory.CountAsync(c => c.Orders, new ScatterGatherOptions { Shards = [node3] });

        Assert.Equal(orders.Count(o => Setup.Resolver.Resolve(o.CustomerId) == node3), count.Value);
    }

    /// <summary>Overload: many pages at once over a pool of four connections per shard, each page asking one shard at a time.</summary>
    [Fact]
    public async Task Forty_concurrent_pages_through_small_pools_all_come_back_right()
    {
        var orders = RandomOrders(Enumerable.Range(1, 50).Select(i => (long)i * 15_485_863).ToArray());
        await Setup.TruncateAsync();
        await Setup.SaveAsync(orders);
        var sorted = orders.OrderByDescending(o => o.Amount).ThenBy(o => o.Id).Select(o => o.Id).ToArray();

        var pages = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Setup.Factory.QueryPageAsync(
            c => c.Orders, ByAmountDescendingThenId, skip: i % 45, take: 5, new ScatterGatherOptions { MaxParallelism = 1 })));

        for (var i = 0; i < pages.Length; i++)
        {
            Assert.Equal(sorted.Skip(i % 45).Take(5), pages[i].Rows.Select(o => o.Id));
        }
    }

    [Fact]
    public async Task A_page_with_a_negative_skip_or_take_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Setup.Factory.QueryPageAsync(c => c.Orders, ByAmountDescendingThenId, -1, 10));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Setup.Factory.QueryPageAsync(c => c.Orders, ByAmountDescendingThenId, 0, -1));
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Setup.Factory.QueryPageAsync(c => c.Orders, ByAmountDescendingThenId, int.MaxValue, 10));
        Assert.Contains("page by a key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scatter_gather_options_out_of_range_are_refused_with_the_setting_named()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Setup.Factory.ScatterGatherAsync(c => c.Orders, new ScatterGatherOptions { MaxParallelism = 0 }));
        Assert.Contains("MaxParallelism", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Unique ids; customers (the shard key) from the generator; amounts 0..4 so equal amounts meet on different shards.</summary>
    private static List<ShardOrder> RandomOrders(long[] customers) =>
        [.. (customers ?? []).Take(60).Select((customer, i) => new ShardOrder { Id = i + 1, CustomerId = customer, Amount = (int)((ulong)customer % 5) })];
}
