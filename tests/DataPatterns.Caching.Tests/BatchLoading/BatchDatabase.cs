using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>A fake database that loads many rows per call, counting how often each key was asked for.</summary>
public sealed class BatchDatabase : ICacheBatchLoader<int, string>
{
    private int _calls;

    public ConcurrentDictionary<int, string> Rows { get; } = new();

    public ConcurrentDictionary<int, int> LoadsPerKey { get; } = new();

    public ConcurrentQueue<int> BatchSizes { get; } = new();

    public TaskCompletionSource? Gate { get; set; }

    public bool Down { get; set; }

    public bool Hang { get; set; }

    public bool ReturnNull { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask<IReadOnlyDictionary<int, string>> LoadManyAsync(IReadOnlyList<int> keys, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        BatchSizes.Enqueue(keys.Count);
        foreach (var key in keys)
        {
            LoadsPerKey.AddOrUpdate(key, 1, static (_, n) => n + 1);
        }

        if (Gate is { } gate)
        {
            await gate.Task;
        }

        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
        }

        if (Down)
        {
            throw new InvalidOperationException("The database is down.");
        }

        if (ReturnNull)
        {
            return null!;
        }

        // Rows that were not asked for come back too: the cache must ignore them.
        var result = new Dictionary<int, string> { [-1] = "not asked for" };
        foreach (var key in keys)
        {
            if (Rows.TryGetValue(key, out var value))
            {
                result[key] = value;
            }
        }

        return result;
    }
}

/// <summary>A provider with one cache "items" (int → string) loaded by a <see cref="BatchDatabase"/>, on fake time.</summary>
public sealed class BatchCacheFixture : IAsyncDisposable
{
    public BatchCacheFixture(Action<CacheOptions>? configure = null, IDistributedCache? distributed = null, bool withSingleLoader = false, FakeTimeProvider? time = null, BatchDatabase? database = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Database = database ?? new BatchDatabase();
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Time);
        collection.AddSingleton(Database);
        collection.AddSingleton(SingleLoader);
        var caching = collection.AddCaching();
        var cache = caching.AddCache<int, string>("items", configure);
        if (withSingleLoader)
        {
            cache.WithLoader(sp => sp.GetRequiredService<TestDatabase>());
        }
        else
        {
            cache.WithBatchLoader(sp => sp.GetRequiredService<BatchDatabase>());
        }

        if (distributed is not null)
        {
            collection.AddSingleton(distributed);
            caching.UseDistributedCache();
        }

        Provider = collection.BuildServiceProvider();
        Cache = Provider.GetRequiredKeyedService<ICache<int, string>>("items");
    }

    public FakeTimeProvider Time { get; }

    public BatchDatabase Database { get; }

    /// <summary>The single-key loader, used when the fixture is built with <c>withSingleLoader</c>.</summary>
    public TestDatabase SingleLoader { get; } = new();

    public ServiceProvider Provider { get; }

    public ICache<int, string> Cache { get; }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
