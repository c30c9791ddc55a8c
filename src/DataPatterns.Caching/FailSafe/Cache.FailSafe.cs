namespace DataPatterns.Caching;

// Fail-safe: when a load fails, a recently expired value (memory first, then L2) is served instead of the error.
internal sealed partial class Cache<TKey, TValue>
{
    private bool TryFailSafe(MemoryEntry<TValue>? observed, DistributedEntry<TValue>? stale, out TValue? value)
    {
        if (!TryFindStale(observed, stale, out value, out var staleFor))
        {
            return false;
        }

        _metrics.StaleServed.Add(1, _cacheTag);
        CachingLog.FailSafeServed(_logger, Name, staleFor);
        return true;
    }

    /// <summary>A recently expired value fail-safe may serve (memory first, then L2), without serving it.</summary>
    private bool TryFindStale(MemoryEntry<TValue>? observed, DistributedEntry<TValue>? stale, out TValue? value, out TimeSpan staleFor)
    {
        value = default;
        staleFor = default;
        if (!_options.FailSafe.Enabled)
        {
            return false;
        }

        var maxStale = _options.FailSafe.MaxStaleDuration;
        if (observed is not null)
        {
            var staleTicks = _clock.Now() - observed.ExpiresAt;
            if (staleTicks >= 0 && staleTicks < ToTimestampTicks(maxStale))
            {
                value = observed.Value;
                staleFor = _clock.ToTimeSpan(staleTicks);
                return true;
            }
        }

        if (stale is not null)
        {
            var staleMs = NowMs() - stale.ExpiresAtMs;
            if (staleMs >= 0 && staleMs < (long)maxStale.TotalMilliseconds)
            {
                value = stale.Value;
                staleFor = TimeSpan.FromMilliseconds(staleMs);
                return true;
            }
        }

        return false;
    }
}
