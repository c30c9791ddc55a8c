using DataPatterns.Caching;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the DataPatterns implementation of <see cref="HybridCache"/>.</summary>
public static class HybridCacheCachingBuilderExtensions
{
    /// <summary>The cache name <see cref="AddHybridCache(CachingBuilder, Action{CacheOptions}?)"/> uses: the middle part of its Redis keys.</summary>
    public const string DefaultName = "hybrid";

    /// <summary>
    /// Registers <see cref="HybridCache"/> backed by DataPatterns, as a cache named <see cref="DefaultName"/>: code that
    /// injects <see cref="HybridCache"/> gets the backplane, tags seen by every instance, fail-safe and refresh-ahead of
    /// the caching builder's providers (<c>UseRedis</c>). It replaces any <see cref="HybridCache"/> registered before
    /// (Microsoft's <c>AddHybridCache()</c>), and Microsoft's, called later, adds nothing as it only tries to add.
    /// </summary>
    /// <param name="caching">The caching builder.</param>
    /// <param name="configure">
    /// The cache's settings: <see cref="ExpirationOptions.Duration"/> is the default Expiration,
    /// <see cref="MemoryLevelOptions.MaxDuration"/> the default LocalCacheExpiration, <see cref="CacheOptions.MaxKeyLength"/>
    /// the longest key; fail-safe and refresh-ahead (<see cref="LoadingOptions.RefreshAheadRatio"/>) are off unless set here.
    /// </param>
    /// <exception cref="InvalidOperationException">A cache named <see cref="DefaultName"/> is already registered.</exception>
    public static CachingBuilder AddHybridCache(this CachingBuilder caching, Action<CacheOptions>? configure = null) =>
        caching.AddHybridCache(DefaultName, configure);

    /// <summary>
    /// Registers <see cref="HybridCache"/> backed by DataPatterns as the cache <paramref name="name"/> (see
    /// <see cref="AddHybridCache(CachingBuilder, Action{CacheOptions}?)"/>).
    /// </summary>
    /// <param name="caching">The caching builder.</param>
    /// <param name="name">The cache name: letters, digits, '.', '-' and '_'; unique among the application's caches.</param>
    /// <param name="configure">The cache's settings.</param>
    /// <exception cref="InvalidOperationException">A cache with this name is already registered.</exception>
    public static CachingBuilder AddHybridCache(this CachingBuilder caching, string name, Action<CacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(caching);
        caching.ReserveName(name);
        var optionsBuilder = caching.Services.AddOptions<CacheOptions>(name);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        optionsBuilder.ValidateOnStart();

        // Replace, not TryAdd: whoever calls this asked for this implementation, whatever was registered first.
        caching.Services.RemoveAll<HybridCache>();
        caching.Services.AddSingleton<HybridCache>(sp => new DataPatternsHybridCache(
            name,
            sp.GetRequiredService<IOptionsMonitor<CacheOptions>>().Get(name),
            sp,
            sp.GetRequiredService<IOptions<CachingOptions>>().Value.ApplicationName));
        return caching;
    }
}
