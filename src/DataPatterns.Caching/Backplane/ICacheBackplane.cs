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
