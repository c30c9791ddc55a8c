using FsCheck.Xunit;

namespace DataPatterns.Caching.Tests;

/// <summary>GetOrLoadManyAsync: the same values as single reads, one loader call per batch, one load per key at a time.</summary>
public sealed class BatchLoadTests
{
    [Property(MaxTest = 200)]
    public void Every_keys_value_equals_what_a_single_read_returns(byte[] rows, byte[] warm, byte[] batch, bool withDistributed)
    {
        CheckAgainstSingleReads(rows, warm, batch, withDistributed).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task A_thousand_concurrent_overlapping_batches_call_the_loader_at_most_once_per_key()
    {
        await using var fixture = new BatchCacheFixture(o => o.Loading.NotFoundDuration = TimeSpan.FromMinutes(5));
        for (var key = 0; key < 300; key += 3)
        {
            fixture.Database.Rows[key] = $"v{key}"; // two keys in three are "not found"
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Database.Gate = gate;
        var random = new Random(18);
        var batches = Enumerable.Range(0, 1000).Select(_ => Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.Next(0, 300)).ToArray()).ToArray();
        var reads = batches.Select(keys => Task.Run(async () => await fixture.Cache.GetOrLoadManyAsync(keys))).ToArray();
        var singles = Enumerable.Range(0, 100).Select(i => fixture.Cache.GetOrLoadAsync(i * 3 % 300).AsTask()).ToArray();
        await Task.Delay(200);
        gate.SetResult();
        var results = await Task.WhenAll(reads);
        await Task.WhenAll(singles);

        Assert.All(fixture.Database.LoadsPerKey, pair => Assert.Equal(1, pair.Value));
        for (var i = 0; i < batches.Length; i++)
        {
            Assert.Equal(batches[i].Distinct().Order(), results[i].Keys.Order());
            Assert.All(results[i], pair => Assert.Equal(pair.Key % 3 == 0 ? $"v{pair.Key}" : null, pair.Value));
        }
    }

    [Fact]
    public async Task A_single_read_joins_the_batch_loading_its_key_and_a_batch_joins_a_running_single_read()
    {
        await using var fixture = new BatchCacheFixture();
        fixture.Database.Rows[1] = "one";
        fixture.Database.Rows[2] = "two";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Database.Gate = gate;

        var single = fixture.Cache.GetOrLoadAsync(1).AsTask(); // a batch of one key through the batch loader
        var batch = fixture.Cache.GetOrLoadManyAsync([1, 2]).AsTask();
        var joiner = fixture.Cache.GetOrLoadAsync(2).AsTask();
        gate.SetResult();

        Assert.Equal("one", await single);
        Assert.Equal(new Dictionary<int, string?> { [1] = "one", [2] = "two" }, await batch);
        Assert.Equal("two", await joiner);
        Assert.Equal(2, fixture.Database.Calls);
        Assert.All(fixture.Database.LoadsPerKey, pair => Assert.Equal(1, pair.Value));
    }

    [Fact]
    public async Task Misses_go_to_the_batch_loader_MaxBatchSize_keys_at_a_time_and_hits_not_at_all()
    {
        await using var fixture = new BatchCacheFixture(o => o.Loading.MaxBatchSize = 500);
        for (var key = 0; key < 1300; key++)
        {
            fixture.Database.Rows[key] = $"v{key}";
        }

        await fixture.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 100));
        var values = await fixture.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 1300));

        Assert.Equal([100, 500, 500, 200], fixture.Database.BatchSizes.ToArray());
        Assert.Equal(1300, values.Count);
        Assert.Equal("v1299", values[1299]);
    }

    [Fact]
    public async Task A_cache_with_only_a_single_loader_loads_a_batch_key_by_key()
    {
        await using var fixture = new BatchCacheFixture(withSingleLoader: true);
        fixture.SingleLoader.Rows[1] = "one";

        var values = await fixture.Cache.GetOrLoadManyAsync([1, 2, 1]);

        Assert.Equal(new Dictionary<int, string?> { [1] = "one", [2] = null }, values);
        Assert.Equal(2, fixture.SingleLoader.Loads);
        Assert.Equal(0, fixture.Database.Calls);
    }

    [Fact]
    public async Task Keys_an_other_instance_loaded_are_read_from_the_distributed_level_not_loaded()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var distributed = new FakeDistributedCache(time);
        var database = new BatchDatabase();
        for (var key = 0; key < 10; key++)
        {
            database.Rows[key] = $"v{key}";
        }

        await using var first = new BatchCacheFixture(distributed: distributed, time: time, database: database);
        await using var second = new BatchCacheFixture(distributed: distributed, time: time, database: database);
        await first.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 6));

        var values = await second.Cache.GetOrLoadManyAsync(Enumerable.Range(0, 10));

        Assert.Equal([6, 4], database.BatchSizes.ToArray());
        Assert.Equal(Enumerable.Range(0, 10).Select(k => $"v{k}"), values.OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public async Task A_failed_batch_serves_fail_safe_values_and_fails_only_the_keys_without_one()
    {
        await using var fixture = new BatchCacheFixture(o =>
        {
            o.Expiration.Duration = TimeSpan.FromSeconds(10);
            o.FailSafe.Enabled = true;
            o.FailSafe.MaxStaleDuration = TimeSpan.FromMinutes(1);
        });
        fixture.Database.Rows[1] = "one";
        fixture.Database.Rows[2] = "two";
        await fixture.Cache.GetOrLoadManyAsync([1, 2]);
        fixture.Time.Advance(TimeSpan.FromSeconds(11));
        fixture.Database.Down = true;

        Assert.Equal(new Dictionary<int, string?> { [1] = "one", [2] = "two" }, await fixture.Cache.GetOrLoadManyAsync([1, 2]));
        var failure = await Assert.ThrowsAsync<CacheLoadException>(async () => await fixture.Cache.GetOrLoadManyAsync([1, 3]));
        Assert.Contains("loader failed", failure.Message, StringComparison.Ordinal);

        fixture.Database.Down = false;
        fixture.Database.Rows[3] = "three";
        Assert.Equal("three", (await fixture.Cache.GetOrLoadManyAsync([1, 3]))[3]); // no claim was left behind
    }

    [Fact]
    public async Task A_batch_loader_past_the_load_timeout_fails_the_batch_as_timed_out()
    {
        await using var fixture = new BatchCacheFixture(o => o.Loading.Timeout = TimeSpan.FromSeconds(2));
        fixture.Database.Hang = true;

        var read = fixture.Cache.GetOrLoadManyAsync([1, 2]).AsTask();
        while (fixture.Database.Calls == 0)
        {
            await Task.Delay(5);
        }

        fixture.Time.Advance(TimeSpan.FromSeconds(3));
        var failure = await Assert.ThrowsAsync<CacheLoadException>(() => read);
        Assert.True(failure.TimedOut);
    }

    [Fact]
    public async Task A_batch_loader_that_returns_null_fails_with_what_to_return_instead()
    {
        await using var fixture = new BatchCacheFixture();
        fixture.Database.ReturnNull = true;

        var failure = await Assert.ThrowsAsync<CacheLoadException>(async () => await fixture.Cache.GetOrLoadManyAsync([1]));

        Assert.Contains("return an empty dictionary", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_too_long_fails_the_batch_before_any_key_is_loaded()
    {
        await using var fixture = new BatchCacheFixture(o => o.MaxKeyLength = 3);

        await Assert.ThrowsAsync<CacheKeyException>(async () => await fixture.Cache.GetOrLoadManyAsync([1, 22, 4444]));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await fixture.Cache.GetOrLoadManyAsync(null!));

        Assert.Equal(0, fixture.Database.Calls);
    }

    [Fact]
    public async Task A_cancelled_caller_stops_waiting_but_the_load_it_started_still_serves_the_others()
    {
        await using var fixture = new BatchCacheFixture();
        fixture.Database.Rows[1] = "one";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Database.Gate = gate;
        using var cancel = new CancellationTokenSource();

        var cancelled = fixture.Cache.GetOrLoadManyAsync([1], cancel.Token).AsTask();
        var other = fixture.Cache.GetOrLoadAsync(1).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        gate.SetResult();

        Assert.Equal("one", await other);
        Assert.Equal(1, fixture.Database.Calls);
    }

    [Fact]
    public void MaxBatchSize_below_one_is_refused_at_start()
    {
        var failure = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new BatchCacheFixture(o => o.Loading.MaxBatchSize = 0));

        Assert.Contains("MaxBatchSize", failure.Message, StringComparison.Ordinal);
    }

    private static async Task CheckAgainstSingleReads(byte[] rows, byte[] warm, byte[] batch, bool withDistributed)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var distributed = withDistributed ? new FakeDistributedCache(time) : null;
        await using var batched = new BatchCacheFixture(o => o.Loading.NotFoundDuration = TimeSpan.FromMinutes(1), distributed, time: time);
        await using var single = new BatchCacheFixture(o => o.Loading.NotFoundDuration = TimeSpan.FromMinutes(1), withSingleLoader: true, time: time);
        foreach (var row in rows ?? [])
        {
            batched.Database.Rows[row % 64] = $"v{row}";
            single.SingleLoader.Rows[row % 64] = $"v{row}";
        }

        foreach (var key in warm ?? [])
        {
            await batched.Cache.GetOrLoadAsync(key % 64);
        }

        var keys = (batch ?? []).Select(b => b % 64).ToArray();
        var values = await batched.Cache.GetOrLoadManyAsync(keys);

        Assert.Equal(keys.Distinct().Order(), values.Keys.Order());
        foreach (var key in keys)
        {
            Assert.Equal(await single.Cache.GetOrLoadAsync(key), values[key]);
        }

        Assert.All(batched.Database.LoadsPerKey, pair => Assert.Equal(1, pair.Value));
    }
}
