namespace DataPatterns.Caching;

/// <summary>
/// Tells other instances to drop memory (L1) copies after a write, a remove or a tag removal. The Redis package
/// provides one on Redis pub/sub. Messages can be lost while disconnected, so a backplane calls
/// <see cref="ICacheInvalidationHandler.OnResynchronize"/> after it reconnects, and the caches then clear their memory level.
/// </summary>
public interface ICacheBackplane
{
    /// <summary>Sends <paramref name="invalidation"/> to every other instance. Failures throw (the cache reports them).</summary>
    ValueTask PublishAsync(CacheInvalidation invalidation, CancellationToken cancellationToken);

    /// <summary>Delivers other instances' invalidations (never this instance's own) to <paramref name="handler"/> until disposed.</summary>
    IDisposable Subscribe(ICacheInvalidationHandler handler);
}

/// <summary>Receives invalidations from a <see cref="ICacheBackplane"/>.</summary>
public interface ICacheInvalidationHandler
{
    /// <summary>Another instance changed something.</summary>
    void OnInvalidation(CacheInvalidation invalidation);

    /// <summary>Messages may have been lost (a reconnect): drop everything that might be stale.</summary>
    void OnResynchronize();
}

/// <summary>What an invalidation removes.</summary>
public enum CacheInvalidationKind
{
    /// <summary>One key (<see cref="CacheInvalidation.Key"/> holds it, serialised).</summary>
    Key = 1,

    /// <summary>Every entry with a tag (<see cref="CacheInvalidation.Tag"/>).</summary>
    Tag = 2,

    /// <summary>Every entry of the cache.</summary>
    Clear = 3,
}

/// <summary>One invalidation message.</summary>
/// <param name="CacheName">The cache it concerns.</param>
/// <param name="Kind">What it removes.</param>
/// <param name="Key">The serialised key for <see cref="CacheInvalidationKind.Key"/>.</param>
/// <param name="Tag">The tag for <see cref="CacheInvalidationKind.Tag"/>.</param>
public readonly record struct CacheInvalidation(string CacheName, CacheInvalidationKind Kind, ReadOnlyMemory<byte> Key, string? Tag);
