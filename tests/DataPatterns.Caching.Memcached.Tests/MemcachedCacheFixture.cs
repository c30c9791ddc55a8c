using System.Collections.Concurrent;
using DataPatterns.Caching.Memcached.Client;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>A shared fake database for several "instances" (service providers) of one application.</summary>
public sealed class SharedDatabase : ICacheLoader<int, string>, ICacheWriter<int, string>
{
    private int _loads;

    public ConcurrentDictionary<int, string> Rows { get; } = new();

    public int Loads => Volatile.Read(ref _loads);

    public ValueTask<string?> LoadAsync(int key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        return ValueTask.FromResult(Rows.TryGetValue(key, out var value) ? value : null);
    }

    public ValueTask WriteAsync(int key, string value, CancellationToken cancellationToken)
    {
        Rows[key] = value;
        return ValueTask.CompletedTask;
    }
}

/// <summary>One application instance: a service provider with the cache "items" whose L2 is Memcached.</summary>
public sealed class MemcachedInstance : IAsyncDisposable
{
    public MemcachedInstance(IReadOnlyList<string> servers, string application, SharedDatabase database, Action<CacheOptions>? configure = null,
        Action<MemcachedCachingOptions>? memcached = null, string? redisBackplane = null)
    {
        Application = application;
        var services = new ServiceCollection();
        services.AddSingleton(database);
        var caching = services.AddCaching(c => c.Configure(o => o.ApplicationName = application));
        if (redisBackplane is not null)
        {
            caching.UseRedis(o => o.Configuration = redisBackplane + ",connectTimeout=2000,asyncTimeout=2000,syncTimeout=2000,connectRetry=1");
        }

        caching.UseMemcached(o =>
            {
                o.Servers = [.. servers];
                memcached?.Invoke(o);
            })
            .AddCache<int, string>("items", o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteThrough;
                configure?.Invoke(o);
            })
            .WithLoader(sp => sp.GetRequiredService<SharedDatabase>())
            .WithWriter(sp => sp.GetRequiredService<SharedDatabase>());
        Provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Cache = Provider.GetRequiredKeyedService<ICache<int, string>>("items");
    }

    public string Application { get; }

    public ServiceProvider Provider { get; }

    public ICache<int, string> Cache { get; }

    internal MemcachedClient Client => Provider.GetRequiredService<MemcachedClient>();

    internal CachingMetrics Metrics => Provider.GetRequiredService<CachingMetrics>();

    public static string NewApplication() => "test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The memcached servers of eng/services.sh, checked to answer (in CI a missing one fails the test).</summary>
    public static async Task<IReadOnlyList<string>> SharedServersAsync()
    {
        foreach (var server in TestServers.Memcached)
        {
            await PrivateMemcached.PingAsync(server);
        }

        return TestServers.Memcached.Select(s => s.ConnectionString).ToList();
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>A bare client for protocol-level tests, with the real time and no DI.</summary>
internal static class Clients
{
    public static MemcachedClient For(IEnumerable<string> servers, Action<MemcachedCachingOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new MemcachedCachingOptions { Servers = [.. servers] };
        configure?.Invoke(options);
        return new MemcachedClient(options, time ?? TimeProvider.System, new MemcachedCachingMetrics(), NullLogger.Instance);
    }

    public static string Unique(string prefix = "k") => prefix + Guid.NewGuid().ToString("N");
}

/// <summary>The tests that start memcached servers of their own run one after another, so none misses its start-up deadline.</summary>
[CollectionDefinition(Name)]
public sealed class PrivateServers
{
    public const string Name = "private memcached servers";
}
