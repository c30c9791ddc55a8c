using DataPatterns.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures the application's caches; returned by <c>AddCaching</c>. Providers (<c>UseRedis</c>) hang off it.</summary>
public sealed class CachingBuilder
{
    private readonly HashSet<string> _names;

    internal CachingBuilder(IServiceCollection services, HashSet<string> names)
    {
        Services = services;
        _names = names;
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds a named, typed cache. Resolve it with <c>GetRequiredKeyedService&lt;ICache&lt;TKey, TValue&gt;&gt;(name)</c>
    /// (the first cache of a key/value type is also registered without a key).
    /// </summary>
    /// <exception cref="InvalidOperationException">A cache with this name already exists.</exception>
    public CacheBuilder<TKey, TValue> AddCache<TKey, TValue>(string name, Action<CacheOptions>? configure = null)
        where TKey : notnull
    {
        ReserveName(name);
        var registration = new CacheRegistration<TKey, TValue>();
        var optionsBuilder = Services.AddOptions<CacheOptions>(name);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        optionsBuilder.ValidateOnStart();
        Services.AddKeyedSingleton<ICache<TKey, TValue>>(name, (sp, _) => new Cache<TKey, TValue>(
            name,
            sp.GetRequiredService<IOptionsMonitor<CacheOptions>>().Get(name),
            registration,
            sp,
            sp.GetRequiredService<IOptions<CachingOptions>>().Value.ApplicationName));
        Services.TryAddSingleton(sp => sp.GetRequiredKeyedService<ICache<TKey, TValue>>(name));
        Services.AddSingleton<ICacheLifecycle>(sp => (ICacheLifecycle)sp.GetRequiredKeyedService<ICache<TKey, TValue>>(name));
        return new CacheBuilder<TKey, TValue>(this, name, registration);
    }

    /// <summary>Checks a cache name and claims it, so no two caches (typed or the HybridCache adapter) share one.</summary>
    internal void ReserveName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!CacheKeyLayout.IsValidName(name))
        {
            throw new ArgumentException($"The cache name '{name}' may hold only letters, digits, '.', '-' and '_': it becomes part of Redis keys, between ':' separators that must stay unambiguous.", nameof(name));
        }

        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"A cache named '{name}' is already registered; give each cache its own name.");
        }
    }

    /// <summary>Sets the settings shared by every cache (the application name that prefixes distributed keys).</summary>
    public CachingBuilder Configure(Action<CachingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Uses the application's own registered <see cref="IDistributedCache"/> (SQL Server, NCache, ...) as the distributed level.
    /// With Redis, call <c>UseRedis</c> instead.
    /// </summary>
    public CachingBuilder UseDistributedCache()
    {
        Services.TryAddKeyedSingleton<IDistributedCache>(CachingServiceKeys.DistributedCache, (sp, _) => sp.GetRequiredService<IDistributedCache>());
        return this;
    }
}
