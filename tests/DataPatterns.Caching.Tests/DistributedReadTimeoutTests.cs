using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>
/// Reads of a buffered distributed level (<see cref="IBufferDistributedCache"/>, as the Redis one is) are bounded by
/// <c>Distributed.Timeout</c> through one sweeping timer per level.
/// </summary>
public class DistributedReadTimeoutTests
{
    [Fact]
    public async Task A_read_that_hangs_is_abandoned_after_the_timeout_and_the_loader_answers()
    {
        var store = new HangingBufferCache();
        await using var fixture = new CacheFixture(
            o =>
            {
                o.Memory.Enabled = false;
                o.Distributed.Timeout = TimeSpan.FromSeconds(1);
            },
            services: s => s.AddSingleton<IDistributedCache>(store).AddCaching().UseDistributedCache());
        fixture.Database.Rows[1] = "from the database";
        using var errors = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().LevelErrors);

        var read = fixture.Cache.GetOrLoadAsync(1).AsTask();
        await store.Started.WaitAsync(TimeSpan.FromSeconds(10));
        fixture.Time.Advance(TimeSpan.FromMilliseconds(900));
        await Task.Delay(50);
        Assert.False(read.IsCompleted); // within the timeout: still waiting for the level

        fixture.Time.Advance(TimeSpan.FromMilliseconds(300)); // past 1.1 × the timeout

        Assert.Equal("from the database", await read.WaitAsync(TimeSpan.FromSeconds(10)));
        var error = Assert.Single(errors.GetMeasurementSnapshot());
        Assert.Equal("l2", error.Tags["datapatterns.cache.level"]);

        store.Release(); // the abandoned read finishing late changes nothing
        Assert.Equal("from the database", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task Reads_that_answer_in_time_are_not_timed_out_and_their_carriers_are_reused()
    {
        var store = new HangingBufferCache { Hang = false };
        await using var fixture = new CacheFixture(
            o =>
            {
                o.Memory.Enabled = false;
                o.Distributed.Timeout = TimeSpan.FromSeconds(1);
            },
            services: s => s.AddSingleton<IDistributedCache>(store).AddCaching().UseDistributedCache());
        fixture.Database.Rows[1] = "v1";
        using var errors = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().LevelErrors);
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1)); // loads and stores it in the level

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
            if (i % 20 == 0)
            {
                fixture.Time.Advance(TimeSpan.FromMilliseconds(300)); // sweeps happen while reads are in flight
            }
        }

        Assert.Equal(1, fixture.Database.Loads);
        Assert.Empty(errors.GetMeasurementSnapshot());
    }

    /// <summary>A buffered store whose reads hang until released (or answer on the thread pool when <see cref="Hang"/> is off).</summary>
    private sealed class HangingBufferCache : IBufferDistributedCache
    {
        private readonly Dictionary<string, byte[]> _entries = [];
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Hang { get; init; } = true;

        public Task Started => _started.Task;

        public void Release() => _release.TrySetResult();

        public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
        {
            _started.TrySetResult();
            if (Hang)
            {
                await _release.Task;
            }
            else
            {
                await Task.Yield(); // completes later, on another thread, as a network read does
            }

            byte[]? value;
            lock (_entries)
            {
                _entries.TryGetValue(key, out value);
            }

            if (value is null)
            {
                return false;
            }

            destination.Write(value);
            return true;
        }

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            lock (_entries)
            {
                _entries[key] = value;
            }

            return Task.CompletedTask;
        }

        public Task RemoveAsync(string key, CancellationToken token = default)
        {
            lock (_entries)
            {
                _entries.Remove(key);
            }

            return Task.CompletedTask;
        }

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => throw new NotSupportedException("The cache reads through TryGetAsync.");

        public bool TryGet(string key, IBufferWriter<byte> destination) => throw new NotSupportedException();

        public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => throw new NotSupportedException();

        public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            new(SetAsync(key, value.ToArray(), options, token));

        public byte[]? Get(string key) => throw new NotSupportedException();

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new NotSupportedException();

        public void Refresh(string key) => throw new NotSupportedException();

        public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

        public void Remove(string key) => throw new NotSupportedException();
    }
}
