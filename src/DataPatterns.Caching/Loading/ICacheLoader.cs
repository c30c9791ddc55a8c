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
}
