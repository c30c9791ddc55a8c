namespace DataPatterns.Caching;

/// <summary>Receives invalidations from a <see cref="ICacheBackplane"/>.</summary>
public interface ICacheInvalidationHandler
{
    /// <summary>Another instance changed something.</summary>
    void OnInvalidation(CacheInvalidation invalidation);

    /// <summary>Messages may have been lost (a reconnect): drop everything that might be stale.</summary>
    void OnResynchronize();
}
