namespace DataPatterns.Caching;

/// <summary>
/// A lock shared by every instance, so that one process loads a cold key while the others wait and then read the
/// distributed level (cross-process stampede protection). The Redis package provides one.
/// </summary>
public interface ICacheDistributedLock
{
    /// <summary>
    /// Tries to take the lock named <paramref name="resource"/> for at most <paramref name="expiry"/>, waiting up to
    /// <paramref name="wait"/>. Returns a handle that releases it, or <see langword="null"/> when it was not taken in time.
    /// </summary>
    ValueTask<IAsyncDisposable?> TryAcquireAsync(string resource, TimeSpan expiry, TimeSpan wait, CancellationToken cancellationToken);
}
