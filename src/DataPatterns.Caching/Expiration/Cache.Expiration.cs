namespace DataPatterns.Caching;

// Expiration: how long entries live in each level (with jitter), and refresh-ahead of entries close to expiry.
internal sealed partial class Cache<TKey, TValue>
{
    private void StartRefresh(TKey key, MemoryEntry<TValue> entry)
    {
        if (Interlocked.CompareExchange(ref entry.Refreshing, 1, 0) != 0 || _loaderFactory is null)
        {
            return;
        }

        var operation = new LoadOperation();
        if (_inFlight.TryAdd(key, operation))
        {
            _ = RunLoadAsync(key, CacheKeyFormatter.Format(key, _keySerializer), operation, refreshOf: entry).AsTask();
        }
    }

    private TimeSpan Lifetime(bool isNotFound)
    {
        if (isNotFound)
        {
            return _options.Loading.NotFoundDuration;
        }

        var lifetime = _options.Expiration.Duration;
        var jitter = _options.Expiration.JitterMaxDuration;
        if (jitter > TimeSpan.Zero)
        {
#pragma warning disable CA5394 // jitter spreads expiries; it is not security-sensitive
            lifetime += TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * jitter.Ticks));
#pragma warning restore CA5394
        }

        return lifetime;
    }

    /// <summary>The memory copy's lifetime: the entry's, or a shorter one asked for the memory level alone.</summary>
    private static TimeSpan MemoryLifetime(TimeSpan lifetime, TimeSpan? memoryDuration) =>
        memoryDuration is { } memory && memory < lifetime ? memory : lifetime;

    /// <summary>
    /// When an L2 entry expires and when L2 may drop it. A tagged entry lives there at most the cache's own lifetime
    /// (Duration plus jitter), however long a loader or a write asked for: a tag removal's marker is kept that long
    /// (plus the fail-safe window), and an entry that outlived the marker would come back as if never removed. Every
    /// instance applies the same bound from its options, so no instance has to know what lifetimes the others gave.
    /// </summary>
    private (DateTimeOffset ExpiresAt, DateTimeOffset KeepUntil) DistributedTimes(TimeSpan lifetime, string[]? tags)
    {
        if (tags is { Length: > 0 })
        {
            var tagged = _options.Expiration.Duration + _options.Expiration.JitterMaxDuration;
            lifetime = lifetime < tagged ? lifetime : tagged;
        }

        var now = _time.GetUtcNow();
        var expiresAt = now + lifetime;
        var keepUntil = _options.FailSafe.Enabled ? expiresAt + _options.FailSafe.MaxStaleDuration : expiresAt;
        return (expiresAt, keepUntil);
    }
}
