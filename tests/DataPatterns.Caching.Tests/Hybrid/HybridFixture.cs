using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Caching.Tests.Hybrid;

/// <summary>A provider whose <see cref="HybridCache"/> is the DataPatterns adapter, on fake time, with an optional fake L2.</summary>
public sealed class HybridFixture : IAsyncDisposable
{
    public HybridFixture(Action<CacheOptions>? configure = null, bool withDistributed = false, Action<IServiceCollection>? services = null, FakeDistributedCache? sharedDistributed = null, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Distributed = sharedDistributed ?? new FakeDistributedCache(Time);
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Time);
        var caching = collection.AddCaching().AddHybridCache(configure);
        if (withDistributed || sharedDistributed is not null)
        {
            collection.AddSingleton<IDistributedCache>(Distributed);
            caching.UseDistributedCache();
        }

        services?.Invoke(collection);
        Provider = collection.BuildServiceProvider();
        Cache = Provider.GetRequiredService<HybridCache>();
    }

    public FakeTimeProvider Time { get; }

    public FakeDistributedCache Distributed { get; }

    public ServiceProvider Provider { get; }

    public HybridCache Cache { get; }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>A factory that counts its calls and answers what it is told to.</summary>
public sealed class CountingFactory
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public string? Next { get; set; } = "value";

    public Exception? Throw { get; set; }

    public TaskCompletionSource? Gate { get; set; }

    public async ValueTask<string?> CreateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (Gate is { } gate)
        {
            await gate.Task;
        }

        if (Throw is { } error)
        {
            throw error;
        }

        return Next;
    }
}
