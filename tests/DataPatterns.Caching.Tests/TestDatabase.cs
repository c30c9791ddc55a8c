using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>A fake database: the loader and writer of the tests, with switches for failures and hangs.</summary>
public sealed class TestDatabase : ICacheLoader<int, string>, ICacheWriter<int, string>
{
    private int _loads;
    private int _writeCalls;

    public ConcurrentDictionary<int, string> Rows { get; } = new();

    public bool LoaderDown { get; set; }

    public bool WriterDown { get; set; }

    public Func<int, string, bool>? FailWrite { get; set; }

    public bool Hang { get; set; }

    public TaskCompletionSource? Gate { get; set; }

    public int Loads => Volatile.Read(ref _loads);

    public int WriteCalls => Volatile.Read(ref _writeCalls);

    public List<IReadOnlyList<KeyValuePair<int, string>>> Batches { get; } = [];

    /// <summary>What the loader decides about each entry it returns (duration, tags, do not cache); nothing when null.</summary>
    public Action<int, string?, CacheLoadContext>? DecideEntry { get; set; }

    public async ValueTask<string?> LoadAsync(int key, CacheLoadContext context, CancellationToken cancellationToken)
    {
        var value = await LoadAsync(key, cancellationToken);
        DecideEntry?.Invoke(key, value, context);
        return value;
    }

    public async ValueTask<string?> LoadAsync(int key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        if (Gate is { } gate)
        {
            await gate.Task;
        }

        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
        }

        if (LoaderDown)
        {
            throw new InvalidOperationException("The database is down.");
        }

        return Rows.TryGetValue(key, out var value) ? value : null;
    }

    public ValueTask WriteAsync(int key, string value, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writeCalls);
        if (WriterDown || FailWrite?.Invoke(key, value) == true)
        {
            throw new InvalidOperationException("The database refused the write.");
        }

        Rows[key] = value;
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteBatchAsync(IReadOnlyList<KeyValuePair<int, string>> batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writeCalls);
        if (WriterDown || batch.Any(p => FailWrite?.Invoke(p.Key, p.Value) == true))
        {
            throw new InvalidOperationException("The database refused the batch.");
        }

        lock (Batches)
        {
            Batches.Add(batch.ToList());
        }

        foreach (var (key, value) in batch)
        {
            Rows[key] = value;
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>An in-memory <see cref="IDistributedCache"/> on a <see cref="TimeProvider"/>, with a switch that makes it fail.</summary>
public sealed class FakeDistributedCache(TimeProvider time) : IDistributedCache
{
    private readonly ConcurrentDictionary<string, (byte[] Value, DateTimeOffset? ExpiresAt)> _entries = new();

    public bool Down { get; set; }

    public int Count => _entries.Count;

    public IEnumerable<string> Keys => _entries.Keys;

    /// <summary>Stores raw bytes, as another program (or a damaged server) could.</summary>
    public void Put(string key, byte[] value) => _entries[key] = (value, null);

    public byte[]? Get(string key) => throw new NotSupportedException();

    /// <summary>When set, a read takes the value at once and answers when it opens: an answer on its way back.</summary>
    public TaskCompletionSource? ReadGate { get; set; }

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        ReadGate is { } gate ? GatedGetAsync(gate, key) : GetNowAsync(key);

    private async Task<byte[]?> GatedGetAsync(TaskCompletionSource gate, string key)
    {
        var value = await GetNowAsync(key);
        await gate.Task;
        return value;
    }

    private Task<byte[]?> GetNowAsync(string key)
    {
        ThrowIfDown();
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.ExpiresAt is { } expires && expires <= time.GetUtcNow())
            {
                _entries.TryRemove(key, out _);
                return Task.FromResult<byte[]?>(null);
            }

            return Task.FromResult<byte[]?>(entry.Value);
        }

        return Task.FromResult<byte[]?>(null);
    }

    public void Refresh(string key) => throw new NotSupportedException();

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => throw new NotSupportedException();

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        ThrowIfDown();
        _entries.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new NotSupportedException();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ThrowIfDown();
        DateTimeOffset? expires = options.AbsoluteExpiration ?? (options.AbsoluteExpirationRelativeToNow is { } r ? time.GetUtcNow() + r : null);
        _entries[key] = (value, expires);
        return Task.CompletedTask;
    }

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new InvalidOperationException("The distributed cache is unreachable.");
        }
    }
}

/// <summary>Builds a provider with one cache "items" (int → string) over a <see cref="TestDatabase"/> and fake time.</summary>
public sealed class CacheFixture : IAsyncDisposable
{
    /// <param name="level">Plugs a real distributed level into the caching builder instead of the fake one (with <paramref name="withDistributed"/>).</param>
    /// <param name="shareWith">Another fixture whose distributed level, clock and database this one shares: a second instance of the application.</param>
    public CacheFixture(Action<CacheOptions>? configure = null, bool withDistributed = false, bool withWriter = true, Action<IServiceCollection>? services = null, Action<CachingBuilder>? level = null, CacheFixture? shareWith = null)
    {
        // A fixture sharing another's distributed level and clock is a second instance of the same application.
        Time = shareWith?.Time ?? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Distributed = shareWith?.Distributed ?? new FakeDistributedCache(Time);
        Database = shareWith?.Database ?? new TestDatabase();
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Time);
        collection.AddSingleton(Database);
        var caching = collection.AddCaching();
        var cache = caching.AddCache<int, string>("items", configure).WithLoader(sp => sp.GetRequiredService<TestDatabase>());
        if (withWriter)
        {
            cache.WithWriter(sp => sp.GetRequiredService<TestDatabase>());
        }

        if (withDistributed && level is not null)
        {
            level(caching);
        }
        else if (withDistributed)
        {
            collection.AddSingleton<IDistributedCache>(Distributed);
            caching.UseDistributedCache();
        }

        services?.Invoke(collection);
        Provider = collection.BuildServiceProvider();
        Cache = Provider.GetRequiredKeyedService<ICache<int, string>>("items");
    }

    public FakeTimeProvider Time { get; }

    public TestDatabase Database { get; }

    public FakeDistributedCache Distributed { get; }

    public ServiceProvider Provider { get; }

    public ICache<int, string> Cache { get; }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
