namespace DataPatterns.Caching;

/// <summary>What the builder collected for one cache: its loader, writer and warm-up keys.</summary>
internal sealed class CacheRegistration<TKey, TValue>
    where TKey : notnull
{
    public Func<IServiceProvider, ICacheLoader<TKey, TValue>>? LoaderFactory { get; set; }

    public Func<IServiceProvider, ICacheBatchLoader<TKey, TValue>>? BatchLoaderFactory { get; set; }

    public Func<IServiceProvider, ICacheWriter<TKey, TValue>>? WriterFactory { get; set; }

    public List<TKey> WarmUpKeys { get; } = [];

    /// <summary>
    /// Refresh-ahead is started by a reader with its own loader (the HybridCache adapter) rather than the registered one,
    /// so entries get a refresh time even though no loader is registered.
    /// </summary>
    public bool RefreshesWithCallerLoader { get; set; }
}
