using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Sharding.Tests;

public sealed class ScatterGatherTests
{
    private static ShardMap<int[]> MapOf(params int[][] rowsPerShard)
    {
        var options = new ShardSetOptions<long>();
        for (var i = 0; i < rowsPerShard.Length; i++)
        {
            options.AddShard($"s{i}");
        }

        var resolver = ShardResolverFactory.Create("numbers", options);
        return new ShardMap<int[]>("numbers", resolver.Shards, shard => rowsPerShard[shard.Index]);
    }

    private static Task<IReadOnlyList<int>> Rows(int[] rows) => Task.FromResult<IReadOnlyList<int>>(rows);

    [Property]
    public bool An_ordered_merge_and_top_N_paging_equal_sorting_everything(int[][] shardsRaw, NonNegativeInt skipRaw, NonNegativeInt takeRaw)
    {
        var shards = shardsRaw.Where(s => s is not null).Take(6).Select(s => s.Order().ToArray()).ToArray();
        if (shards.Length == 0)
        {
            return true;
        }

        var result = MapOf(shards).ScatterGatherAsync((rows, _, _) => Rows(rows)).GetAwaiter().GetResult();
        var everything = shards.SelectMany(s => s).Order().ToArray();
        var skip = skipRaw.Get % 20;
        var take = takeRaw.Get % 20;
        return result.MergeOrdered(Comparer<int>.Default).SequenceEqual(everything)
            && result.MergeOrdered(Comparer<int>.Default, skip, take).SequenceEqual(everything.Skip(skip).Take(take))
            && result.Top(Comparer<int>.Default, take).SequenceEqual(everything.Take(take))
            && result.Concatenate().Order().SequenceEqual(everything);
    }

    [Fact]
    public async Task A_failed_shard_fails_the_query_with_an_error_that_names_it()
    {
        var map = MapOf([1], [2], [3]);
        var error = await Assert.ThrowsAsync<ShardQueryException>(() => map.ScatterGatherAsync<int[], int>((rows, shard, _) =>
            shard.Name == "s1" ? throw new InvalidOperationException("connection refused") : Rows(rows)));

        Assert.Equal("s1", Assert.Single(error.Failures).Shard.Name);
        Assert.Contains("'s1': connection refused", error.Message, StringComparison.Ordinal);
        Assert.Equal("numbers", error.ShardSetName);
    }

    [Fact]
    public async Task With_partial_results_allowed_the_other_shards_rows_come_back_marked_partial()
    {
        var map = MapOf([1], [2], [3]);
        var result = await map.ScatterGatherAsync<int[], int>(
            (rows, shard, _) => shard.Name == "s2" ? throw new InvalidOperationException("down") : Rows(rows),
            new ScatterGatherOptions { AllowPartialResults = true });

        Assert.True(result.IsPartial);
        Assert.Equal("s2", Assert.Single(result.Failures).Shard.Name);
        Assert.Equal([1, 2], result.MergeOrdered(Comparer<int>.Default));
    }

    [Fact]
    public async Task A_shard_that_does_not_answer_in_time_fails_as_a_timeout_naming_it()
    {
        var clock = new FakeTimeProvider();
        var map = MapOf([1], [2]);
        var query = map.ScatterGatherAsync<int[], int>(
            async (rows, shard, token) =>
            {
                if (shard.Name == "s1")
                {
                    await Task.Delay(Timeout.Infinite, token);
                }

                return rows;
            },
            new ScatterGatherOptions { PerShardTimeout = TimeSpan.FromSeconds(2), TimeProvider = clock });

        while (!query.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        var error = await Assert.ThrowsAsync<ShardQueryException>(() => query);
        var failure = Assert.Single(error.Failures);
        Assert.Equal("s1", failure.Shard.Name);
        Assert.IsType<TimeoutException>(failure.Error);
    }

    [Fact]
    public async Task No_more_than_the_parallelism_limit_run_at_once()
    {
        var map = MapOf([.. Enumerable.Range(0, 12).Select(i => new[] { i })]);
        var running = 0;
        var peak = 0;
        var result = await map.ScatterGatherAsync<int[], int>(
            async (rows, _, token) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref peak, now);
                await Task.Delay(20, token);
                Interlocked.Decrement(ref running);
                return rows;
            },
            new ScatterGatherOptions { MaxParallelism = 3 });

        Assert.Equal(12, result.Concatenate().Count);
        Assert.InRange(peak, 1, 3);
    }

    [Fact]
    public async Task Only_the_chosen_shards_are_queried()
    {
        var map = MapOf([1], [2], [3]);
        var asked = new List<string>();
        var result = await map.ScatterGatherAsync<int[], int>(
            (rows, shard, _) =>
            {
                lock (asked)
                {
                    asked.Add(shard.Name);
                }

                return Rows(rows);
            },
            new ScatterGatherOptions { Shards = [map.Shards[2], map.Shards[0]] });

        Assert.Equal(["s0", "s2"], asked.Order());
        Assert.Equal([1, 3], result.MergeOrdered(Comparer<int>.Default));
    }

    [Fact]
    public async Task Bad_options_are_refused_with_the_setting_named()
    {
        var map = MapOf([1]);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => map.ScatterGatherAsync<int[], int>((rows, _, _) => Rows(rows), new ScatterGatherOptions { MaxParallelism = 0 }));
        Assert.Contains("MaxParallelism is 0", error.Message, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
