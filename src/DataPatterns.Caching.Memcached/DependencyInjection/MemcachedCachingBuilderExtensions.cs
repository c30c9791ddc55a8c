using DataPatterns.Caching;
using DataPatterns.Caching.Memcached;
using DataPatterns.Caching.Memcached.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs Memcached into DataPatterns caching.</summary>
public static class MemcachedCachingBuilderExtensions
{
    /// <summary>
    /// Uses Memcached as the distributed level (L2), spreading keys over <see cref="MemcachedCachingOptions.Servers"/> by
    /// ketama consistent hashing. Memcached has no pub/sub, stream or lock: the backplane, the cross-process stampede lock
    /// and durable write-back need <c>UseRedis</c> beside this (the L2 then stays on Memcached, whichever is called
    /// first), or are off.
    /// </summary>
    /// <remarks>
    /// The distributed level is one store: this replaces an L2 registered before it under
    /// <see cref="CachingServiceKeys.DistributedCache"/> (by <c>UseRedis</c> or <c>UseDistributedCache</c>), and registers
    /// the rest with TryAdd, so an application's own registration of those wins.
    /// </remarks>
    public static CachingBuilder UseMemcached(this CachingBuilder builder, Action<MemcachedCachingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<MemcachedCachingOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MemcachedCachingOptions>, MemcachedCachingOptionsValidator>());
        services.TryAddSingleton(sp => new MemcachedCachingMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp => new MemcachedClient(
            sp.GetRequiredService<IOptions<MemcachedCachingOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<MemcachedCachingMetrics>(),
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("DataPatterns.Caching.Memcached")));
        services.RemoveAllKeyed<IDistributedCache>(CachingServiceKeys.DistributedCache);
        services.AddKeyedSingleton<IDistributedCache>(
            CachingServiceKeys.DistributedCache,
            (sp, _) => new MemcachedDistributedCache(sp.GetRequiredService<MemcachedClient>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return builder;
    }

    /// <summary>Uses Memcached at <paramref name="servers"/> ("host:port" each) with the default settings.</summary>
    public static CachingBuilder UseMemcached(this CachingBuilder builder, params string[] servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return builder.UseMemcached(o => o.Servers = [.. servers]);
    }
}
