namespace DataPatterns.Caching;

/// <summary>
/// A typed cache for one kind of entity: reads go through the memory level (L1), the distributed level (L2) and the
/// application's loader; writes follow the cache's write strategy (cache only, write-through or write-back).
/// Resolve it by name: <c>provider.GetRequiredKeyedService&lt;ICache&lt;int, Product&gt;&gt;("products")</c>.
/// </summary>
/// <typeparam name="TKey">The key type (a string, a number, a <see cref="Guid"/>, or any type the key serializer handles).</typeparam>
/// <typeparam name="TValue">The cached value type. A <see langword="null"/> value means "not found".</typeparam>
public interface ICache<TKey, TValue>
    where TKey : notnull
{
    /// <summary>The cache's name, as registered with <c>AddCache</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Returns the cached value of <paramref name="key"/>, or loads it with the cache's loader on a miss (concurrent misses on
    /// one key share one load). Returns <see langword="null"/> when the key is not found (or there is no loader and no entry).
    /// A hit in memory completes synchronously and allocates nothing.
    /// </summary>
    /// <exception cref="CacheKeyException">The key is too long to be a cache key.</exception>
    /// <exception cref="CacheLoadException">The loader failed or timed out and no fail-safe value was available.</exception>
    ValueTask<TValue?> GetOrLoadAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the values of <paramref name="keys"/> (each key once; a key not found maps to <see langword="null"/>):
    /// memory hits at once; then, <see cref="LoadingOptions.MaxBatchSize"/> keys at a time, their distributed reads sent
    /// together (one pipelined round trip) and one <see cref="ICacheBatchLoader{TKey, TValue}"/> call for the misses, or
    /// single loads side by side when the cache has only a single loader. A key whose load is already running (a single read,
    /// another batch) is joined, not loaded again. Batches take no distributed lock and no soft timeout.
    /// </summary>
    /// <exception cref="CacheKeyException">A key is too long to be a cache key (nothing was loaded).</exception>
    /// <exception cref="CacheLoadException">A load failed and a failed key had no fail-safe value.</exception>
    async ValueTask<IReadOnlyDictionary<TKey, TValue?>> GetOrLoadManyAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        // For other implementations of this interface: one read after another.
        ArgumentNullException.ThrowIfNull(keys);
        var values = new Dictionary<TKey, TValue?>();
        foreach (var key in keys)
        {
            if (!values.ContainsKey(key))
            {
                values[key] = await GetOrLoadAsync(key, cancellationToken).ConfigureAwait(false);
            }
        }

        return values;
    }

    /// <summary>Returns the cached value of <paramref name="key"/> without calling the loader; <see langword="false"/> on a miss.</summary>
    ValueTask<CacheLookup<TValue>> TryGetAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="value"/> for <paramref name="key"/> by the cache's write strategy: only the cache
    /// (<see cref="CacheWriteStrategy.CacheOnly"/>), the writer and then the cache (<see cref="CacheWriteStrategy.WriteThrough"/>),
    /// or the cache and the write-behind queue (<see cref="CacheWriteStrategy.WriteBack"/>). Other instances' memory copies are invalidated.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value to store.</param>
    /// <param name="tags">Tags for <see cref="RemoveByTagAsync"/>, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="CacheSerializationException">The value cannot be serialised for the distributed level or the durable queue.</exception>
    ValueTask SetAsync(TKey key, TValue value, IReadOnlyCollection<string>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="key"/> from both levels and other instances' memory (the database is not touched).</summary>
    ValueTask RemoveAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>Removes every entry written with <paramref name="tag"/> from both levels and other instances' memory.</summary>
    ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes every entry of the cache from both levels and from every instance's memory (the database is not touched,
    /// nor writes still queued for it). L2 is cleared by one marker, whatever it holds: entries written before it read as
    /// absent and expire by their own lifetime. Instances learn of it through the backplane, or within about a second
    /// when the cache has none.
    /// </summary>
    ValueTask ClearAsync(CancellationToken cancellationToken = default);

    /// <summary>Loads <paramref name="keys"/> into the cache now (the start-up warm-up does this for the configured keys).</summary>
    ValueTask WarmUpAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default);

    /// <summary>Flushes the write-behind queue to the writer now (write-back caches; a no-op otherwise).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="ICache{TKey, TValue}.TryGetAsync"/>.</summary>
/// <typeparam name="TValue">The value type.</typeparam>
/// <param name="Found">True when the cache held an entry (which may be a cached "not found").</param>
/// <param name="Value">The value; <see langword="null"/> for a cached "not found" or a miss.</param>
public readonly record struct CacheLookup<TValue>(bool Found, TValue? Value);
