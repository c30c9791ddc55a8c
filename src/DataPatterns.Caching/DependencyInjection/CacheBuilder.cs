using DataPatterns.Caching;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures one cache: its loader, writer and warm-up keys.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class CacheBuilder<TKey, TValue>
    where TKey : notnull
{
    private readonly CacheRegistration<TKey, TValue> _registration;

    internal CacheBuilder(CachingBuilder caching, string name, CacheRegistration<TKey, TValue> registration)
    {
        Caching = caching;
        Name = name;
        _registration = registration;
    }

    /// <summary>The caching builder, to add more caches or a provider.</summary>
    public CachingBuilder Caching { get; }

    /// <summary>The cache's name.</summary>
    public string Name { get; }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services => Caching.Services;

    /// <summary>
    /// Loads misses with <typeparamref name="TLoader"/> (the application's repository), resolved in a scope of its own per
    /// load; registered as scoped when it is not registered yet.
    /// </summary>
    public CacheBuilder<TKey, TValue> WithLoader<TLoader>()
        where TLoader : class, ICacheLoader<TKey, TValue>
    {
        Services.TryAddScoped<TLoader>();
        return WithLoader(sp => sp.GetRequiredService<TLoader>());
    }

    /// <summary>Loads misses with the loader <paramref name="factory"/> returns (called in a scope of its own per load).</summary>
    public CacheBuilder<TKey, TValue> WithLoader(Func<IServiceProvider, ICacheLoader<TKey, TValue>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registration.LoaderFactory = factory;
        Services.Configure<CacheOptions>(Name, o => o.HasLoader = true);
        return this;
    }

    /// <summary>
    /// Loads the misses of <see cref="ICache{TKey, TValue}.GetOrLoadManyAsync"/> with <typeparamref name="TLoader"/>, one
    /// call per batch (and single misses too when no single loader is set), resolved in a scope of its own per call;
    /// registered as scoped when it is not registered yet.
    /// </summary>
    public CacheBuilder<TKey, TValue> WithBatchLoader<TLoader>()
        where TLoader : class, ICacheBatchLoader<TKey, TValue>
    {
        Services.TryAddScoped<TLoader>();
        return WithBatchLoader(sp => sp.GetRequiredService<TLoader>());
    }

    /// <summary>Loads batches of misses with the batch loader <paramref name="factory"/> returns (called in a scope of its own per batch).</summary>
    public CacheBuilder<TKey, TValue> WithBatchLoader(Func<IServiceProvider, ICacheBatchLoader<TKey, TValue>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registration.BatchLoaderFactory = factory;
        Services.Configure<CacheOptions>(Name, o => o.HasLoader = true);
        return this;
    }

    /// <summary>
    /// Writes (write-through, write-back) with <typeparamref name="TWriter"/>, resolved in a scope of its own per call;
    /// registered as scoped when it is not registered yet.
    /// </summary>
    public CacheBuilder<TKey, TValue> WithWriter<TWriter>()
        where TWriter : class, ICacheWriter<TKey, TValue>
    {
        Services.TryAddScoped<TWriter>();
        return WithWriter(sp => sp.GetRequiredService<TWriter>());
    }

    /// <summary>Writes with the writer <paramref name="factory"/> returns (called in a scope of its own per call).</summary>
    public CacheBuilder<TKey, TValue> WithWriter(Func<IServiceProvider, ICacheWriter<TKey, TValue>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registration.WriterFactory = factory;
        Services.Configure<CacheOptions>(Name, o => o.HasWriter = true);
        return this;
    }

    /// <summary>Loads <paramref name="keys"/> at start-up (by the hosted service), so the first requests hit the cache.</summary>
    public CacheBuilder<TKey, TValue> WarmUp(params IEnumerable<TKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _registration.WarmUpKeys.AddRange(keys);
        return this;
    }

    /// <summary>Adds another cache (the same as <see cref="CachingBuilder.AddCache{TKey2, TValue2}"/>).</summary>
    public CacheBuilder<TKey2, TValue2> AddCache<TKey2, TValue2>(string name, Action<CacheOptions>? configure = null)
        where TKey2 : notnull =>
        Caching.AddCache<TKey2, TValue2>(name, configure);
}
