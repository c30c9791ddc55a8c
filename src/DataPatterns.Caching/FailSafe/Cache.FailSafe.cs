namespace DataPatterns.Caching;

// Fail-safe: when a load fails, a recently expired value (memory first, then L2) is served instead of the error.
internal sealed partial class Cache<TKey, TValue>
{
    private bool TryFailSafe(MemoryEntry<TValue>? observed, DistributedEntry<TValue>? stale, out TValue? value)
    {
        value = default;
        if (!_options.FailSafe.Enabled)
        {
            return false;
        }

        var maxStale = _options.FailSafe.MaxStaleDuration;
        if (observed is not null)
        {
            var now = _clock.Now();
            var staleTicks = now - observed.ExpiresAt;
            if (staleTicks >= 0 && staleTicks < ToTimestampTicks(maxStale))
            {
                value = observed.Value;
                Served(_clock.ToTimeSpan(staleTicks));
                return true;
            }
        }

        if (stale is not null)
        {
            var staleMs = NowMs() - stale.ExpiresAtMs;
            if (staleMs >= 0 && staleMs < (long)maxStale.TotalMilliseconds)
            {
                value = stale.Value;
                Served(TimeSpan.FromMilliseconds(staleMs));
                return true;
            }
        }

        return false;

        void Served(TimeSpan staleFor)
        {
            _metrics.StaleServed.Add(1, _cacheTag);
            CachingLog.FailSafeServed(_logger, Name, staleFor);
        }
    }
}
