namespace DataPatterns.Caching;

/// <summary>
/// Loads many values in one go on cache misses (one query with <c>WHERE id = ANY(@ids)</c> instead of one per key), for
/// <see cref="ICache{TKey, TValue}.GetOrLoadManyAsync"/>. Resolved from DI in a scope of its own per batch. When a cache
/// has a batch loader and no single loader, single reads call it with one key.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface ICacheBatchLoader<TKey, TValue>
    where TKey : notnull
{
    /// <summary>
    /// Loads the values of <paramref name="keys"/> (distinct, at most <see cref="LoadingOptions.MaxBatchSize"/>). A key
    /// missing from the result does not exist (a "not found", cached like a single loader's null); keys that were not
    /// asked for are ignored.
    /// </summary>
    ValueTask<IReadOnlyDictionary<TKey, TValue>> LoadManyAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken);
}
