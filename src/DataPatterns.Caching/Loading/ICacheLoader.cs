namespace DataPatterns.Caching;

/// <summary>
/// Loads a value on a cache miss: the application's own repository, resolved from DI in a scope of its own per load.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface ICacheLoader<in TKey, TValue>
{
    /// <summary>Loads the value of <paramref name="key"/>; returns <see langword="null"/> when it does not exist.</summary>
    ValueTask<TValue?> LoadAsync(TKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Loads the value of <paramref name="key"/> and may decide, through <paramref name="context"/>, how long it lives, its
    /// tags, or that it is not cached. The cache always calls this one; by default it calls
    /// <see cref="LoadAsync(TKey, CancellationToken)"/> and keeps the cache's settings. Implement it when results differ
    /// (and implement the other by calling it with a fresh <see cref="CacheLoadContext"/>).
    /// </summary>
    ValueTask<TValue?> LoadAsync(TKey key, CacheLoadContext context, CancellationToken cancellationToken) => LoadAsync(key, cancellationToken);
}
