namespace DataPatterns.Caching;

// The cross-process half of stampede protection: one instance loads a key while the others wait, then read L2.
internal sealed partial class Cache<TKey, TValue>
{
    /// <summary>
    /// Across processes, one instance loads a key at a time: the lock is taken after an L2 miss, waiting at most
    /// <see cref="LoadingOptions.DistributedLockWait"/>; a lock that cannot be had (or fails) does not stop the load.
    /// </summary>
    private async ValueTask<IAsyncDisposable?> AcquireLoadLockAsync(string formatted)
    {
        try
        {
            return await _distributedLock!.TryAcquireAsync(
                _lockPrefix + formatted, _options.Loading.Timeout + TimeSpan.FromSeconds(1), _options.Loading.DistributedLockWait, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _metrics.LevelErrors.Add(1, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.level", "lock"));
            CachingLog.LockFailed(_logger, Name, ex);
            return null;
        }
    }

    private async ValueTask ReleaseLoadLockAsync(IAsyncDisposable? distributedLock)
    {
        if (distributedLock is null)
        {
            return;
        }

        try
        {
            await distributedLock.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _metrics.LevelErrors.Add(1, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.level", "lock"));
            CachingLog.LockFailed(_logger, Name, ex);
        }
    }
}
