namespace DataPatterns.Caching;

/// <summary>Lazy-loading settings (cache-aside through the registered <see cref="ICacheLoader{TKey, TValue}"/>).</summary>
public sealed class LoadingOptions
{
    /// <summary>The longest a load may take; past it the load counts as failed (fail-safe may then serve a stale value). Default 10 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Soft timeout: when an expired value may still be served (<see cref="FailSafeOptions"/> on, within its
    /// MaxStaleDuration) and the loader has not answered after this long, the callers get that value now; the load goes
    /// on in the background up to <see cref="Timeout"/> and stores its result when it comes. Null (default) waits for
    /// the load. Must be below <see cref="Timeout"/>, and needs fail-safe.
    /// </summary>
    public TimeSpan? SoftTimeout { get; set; }

    /// <summary>
    /// How long a "not found" (the loader returned null) is cached, so repeated look-ups of a missing key do not reach the
    /// database. Zero (default) does not cache "not found".
    /// </summary>
    public TimeSpan NotFoundDuration { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Refresh-ahead: an entry read after this fraction of its lifetime is reloaded in the background, so hot keys never
    /// expire. Between 0 (off, default) and 1 exclusive, for example 0.8.
    /// </summary>
    public double RefreshAheadRatio { get; set; }

    /// <summary>
    /// Cross-process stampede protection: take the distributed lock (for example the Redis one) before loading, so one
    /// instance loads a cold key and the others read its result from the distributed level. Default false.
    /// </summary>
    public bool UseDistributedLock { get; set; }

    /// <summary>
    /// How many keys <see cref="ICache{TKey, TValue}.GetOrLoadManyAsync"/> handles at a time: the most distributed reads
    /// one batch has in flight, and the most keys one <see cref="ICacheBatchLoader{TKey, TValue}"/> call gets (a larger
    /// batch goes chunk after chunk). Default 500 (within every database's parameter limit), at least 1.
    /// </summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>The longest an instance waits for another instance's load under the distributed lock. Default 5 seconds.</summary>
    public TimeSpan DistributedLockWait { get; set; } = TimeSpan.FromSeconds(5);
}
