using DataPatterns.Caching;
using DataPatterns.Caching.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs Redis into DataPatterns caching.</summary>
public static class RedisCachingBuilderExtensions
{
    /// <summary>
    /// Uses Redis (one shared multiplexer) as the distributed level, the backplane, the cross-process stampede lock
    /// (<see cref="LoadingOptions.UseDistributedLock"/>) and the durable write-back queue (<see cref="WriteBackOptions.Durable"/>).
    /// </summary>
    public static CachingBuilder UseRedis(this CachingBuilder builder, Action<RedisCachingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<RedisCachingOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisCachingOptions>, RedisCachingOptionsValidator>());
        services.TryAddSingleton(sp => new RedisCachingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<RedisConnection>();
        services.TryAddKeyedSingleton<IDistributedCache>(
            CachingServiceKeys.DistributedCache,
            (sp, _) => new RedisDistributedCache(sp.GetRequiredService<RedisConnection>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.TryAddSingleton<ICacheBackplane, RedisBackplane>();
        services.TryAddSingleton<ICacheDistributedLock, RedisDistributedLock>();
        services.TryAddSingleton<IWriteBackStore, RedisWriteBackStore>();
        services.TryAddSingleton<RedisPersistenceCheck>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisWriteBackStartup>());
        return builder;
    }

    /// <summary>Uses Redis at <paramref name="configuration"/> (a StackExchange.Redis configuration string).</summary>
    public static CachingBuilder UseRedis(this CachingBuilder builder, string configuration) =>
        builder.UseRedis(o => o.Configuration = configuration);
}
