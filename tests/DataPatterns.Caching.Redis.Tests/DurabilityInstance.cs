using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>
/// The database side of the durability tests: keeps, per key, the value with the highest version (a versioned upsert),
/// records every write offered in order, and can hold a flush until the test lets it go.
/// </summary>
public sealed class VersionedRows : IVersionedCacheWriter<int, string>
{
    private readonly TaskCompletionSource _taken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _gate;

    public ConcurrentDictionary<int, (string Value, long Version)> Rows { get; } = new();

    public ConcurrentQueue<WriteBackEntry<int, string>> Offered { get; } = new();

    /// <summary>Completes when a held flush has reached the writer.</summary>
    public Task Taken => _taken.Task;

    /// <summary>Makes the next flush wait in the writer until <see cref="Release"/>.</summary>
    public void HoldNextFlush() => _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate?.TrySetResult();

    public ValueTask WriteAsync(int key, string value, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("a write-back flush must use the versioned batch");

    public async ValueTask WriteVersionedBatchAsync(IReadOnlyList<WriteBackEntry<int, string>> batch, CancellationToken cancellationToken)
    {
        if (_gate is { } gate)
        {
            _taken.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
            _gate = null;
        }

        foreach (var entry in batch)
        {
            Offered.Enqueue(entry);
            Rows.AddOrUpdate(entry.Key, (entry.Value, entry.Version), (_, row) => row.Version < entry.Version ? (entry.Value, entry.Version) : row);
        }
    }

    /// <summary>True when no key was offered a version below one offered before it.</summary>
    public bool OfferedInOrder() =>
        Offered.GroupBy(e => e.Key).All(g => g.Select(e => e.Version).Zip(g.Select(e => e.Version).Skip(1)).All(p => p.First <= p.Second));
}

/// <summary>One application instance with the durable write-back cache "items" on a given Redis, and a fake log.</summary>
public sealed class DurabilityInstance : IAsyncDisposable
{
    public DurabilityInstance(string redis, string application, VersionedRows rows, Action<RedisWriteBackDurabilityOptions>? durability = null, int batchSize = 500)
    {
        var services = new ServiceCollection();
        services.AddFakeLogging();
        services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
            .UseRedis(o =>
            {
                o.Configuration = redis + RedisInstance.ShortTimeouts;
                o.CommandTimeout = TimeSpan.FromSeconds(2);
                durability?.Invoke(o.WriteBackDurability);
            })
            .AddCache<int, string>("items", o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteBack;
                o.WriteBack.Durable = true;
                o.WriteBack.BatchSize = batchSize;
                o.WriteBack.FlushInterval = TimeSpan.FromHours(1); // the test flushes
            })
            .WithWriter(_ => rows);
        Provider = services.BuildServiceProvider();
    }

    public ServiceProvider Provider { get; }

    public ICache<int, string> Cache => Provider.GetRequiredKeyedService<ICache<int, string>>("items");

    public FakeLogCollector Log => Provider.GetFakeLogCollector();

    /// <summary>What a host does first at start: every hosted service is created, then each one's StartingAsync runs.</summary>
    public async Task StartingAsync()
    {
        foreach (var service in Provider.GetServices<IHostedService>().OfType<IHostedLifecycleService>())
        {
            await service.StartingAsync(CancellationToken.None);
        }
    }

    /// <summary>Writes, retrying while the multiplexer reconnects to a restarted Redis (what a caller does with WriteBackUnavailableException).</summary>
    public async Task SetWhenReachableAsync(int key, string value)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await Cache.SetAsync(key, value);
                return;
            }
            catch (WriteBackUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Flushes until the queue is empty, riding out the errors of a Redis that is coming back.</summary>
    public async Task FlushUntilEmptyAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        var store = Provider.GetRequiredService<IWriteBackStore>();
        while (true)
        {
            try
            {
                await Cache.FlushAsync();
                if (await store.GetLengthAsync("items", CancellationToken.None) == 0)
                {
                    return;
                }
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException("the durable queue did not drain in time");
            }

            await Task.Delay(100);
        }
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
