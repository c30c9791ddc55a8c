using System.Collections.Concurrent;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>A shared fake database for several "instances" (service providers) of one application.</summary>
public sealed class SharedDatabase : ICacheLoader<int, string>, ICacheWriter<int, string>
{
    private int _loads;

    public ConcurrentDictionary<int, string> Rows { get; } = new();

    public int Loads => Volatile.Read(ref _loads);

    public TimeSpan LoadDelay { get; set; }

    public async ValueTask<string?> LoadAsync(int key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        if (LoadDelay > TimeSpan.Zero)
        {
            await Task.Delay(LoadDelay, cancellationToken);
        }

        return Rows.TryGetValue(key, out var value) ? value : null;
    }

    public ValueTask WriteAsync(int key, string value, CancellationToken cancellationToken)
    {
        Rows[key] = value;
        return ValueTask.CompletedTask;
    }
}

/// <summary>One application instance: a service provider with the cache "items" on Redis.</summary>
public sealed class RedisInstance : IAsyncDisposable
{
    /// <summary>Short client timeouts, so tests of a dead server end soon; a test of the package's defaults passes its own.</summary>
    public const string ShortTimeouts = ",connectTimeout=2000,asyncTimeout=2000,syncTimeout=2000,connectRetry=1";

    public RedisInstance(string redis, string application, SharedDatabase database, Action<CacheOptions>? configure = null, string redisOptions = ShortTimeouts, Action<IServiceCollection>? extra = null)
    {
        Application = application;
        var services = new ServiceCollection();
        services.AddSingleton(database);
        services.AddCaching(c => c.Configure(o => o.ApplicationName = application))
            .UseRedis(o => o.Configuration = redis + redisOptions)
            .AddCache<int, string>("items", o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteThrough;
                o.Distributed.Timeout = TimeSpan.FromSeconds(2);
                configure?.Invoke(o);
            })
            .WithLoader(sp => sp.GetRequiredService<SharedDatabase>())
            .WithWriter(sp => sp.GetRequiredService<SharedDatabase>());
        extra?.Invoke(services);
        Provider = services.BuildServiceProvider();
        Cache = Provider.GetRequiredKeyedService<ICache<int, string>>("items");
    }

    public string Application { get; }

    public ServiceProvider Provider { get; }

    public ICache<int, string> Cache { get; }

    internal CachingMetrics Metrics => Provider.GetRequiredService<CachingMetrics>();

    /// <summary>Waits until this instance listens on the backplane.</summary>
    public Task BackplaneReadyAsync() => ((RedisBackplane)Provider.GetRequiredService<ICacheBackplane>()).Subscribed.WaitAsync(TimeSpan.FromSeconds(10));

    public static string NewApplication() => "test-" + Guid.NewGuid().ToString("N")[..12];

    public static string SharedRedis => TestServers.Redis.ConnectionString;

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
