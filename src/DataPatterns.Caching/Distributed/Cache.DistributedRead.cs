namespace DataPatterns.Caching;

// What the load path makes of an L2 read (once before the loader, once more after the distributed lock).
internal sealed partial class Cache<TKey, TValue>
{
    /// <summary>Counts invalidations (writes, removes, tag removals, clears, here or heard of): a read that saw it move stores nothing in memory.</summary>
    private long _invalidations;

    /// <summary>
    /// Judges what L2 returned to a load: a live entry (not removed by a tag still awaiting repair) is a hit, stored in
    /// the memory level unless the load was invalidated meanwhile; otherwise what L2 held, if anything, may still serve
    /// as fail-safe. Synchronous, so that the load path keeps one state machine for the L2 round trip.
    /// </summary>
    private DistributedRead JudgeDistributed(TKey key, DistributedEntry<TValue>? remote, LoadOperation operation, MemoryEntry<TValue>? observed)
    {
        if (remote is not null && remote.ExpiresAtMs > NowMs() && !TagAwaitsRepair(remote))
        {
            _metrics.Hits.Add(1, _cacheTag, _l2Tag);
            if (!operation.Invalidated)
            {
                _memory?.SetIfUnchanged(key, FromDistributed(remote), observed);
            }

            return new DistributedRead(true, remote.Value, null);
        }

        // Removed by a tag: not even fail-safe may serve it.
        return new DistributedRead(false, default, remote is not null && TagAwaitsRepair(remote) ? null : remote);
    }

    /// <summary>What a load's L2 read found: a hit and its value, or the stale entry fail-safe may fall back on.</summary>
    private readonly record struct DistributedRead(bool Hit, TValue? Value, DistributedEntry<TValue>? Stale);

    /// <summary>Reads the distributed level alone (the memory level is skipped); stores a hit in memory when asked.</summary>
    internal async ValueTask<CacheLookup<TValue>> ReadDistributedAsync(TKey key, bool storeInMemory, CancellationToken cancellationToken)
    {
        var formatted = ValidateKey(key);
        if (_distributed is null || AwaitsRepair(formatted))
        {
            return default;
        }

        var observed = storeInMemory ? _memory?.Peek(key) : null;
        var epoch = Volatile.Read(ref _invalidations);
        var remote = await _distributed.GetAsync(formatted, cancellationToken).ConfigureAwait(false);
        if (remote is not null && remote.ExpiresAtMs > NowMs() && !TagAwaitsRepair(remote))
        {
            _metrics.Hits.Add(1, _cacheTag, _l2Tag);

            // A write, remove or clear while the read ran may have made what it read old: then it is not kept in memory.
            if (storeInMemory && Volatile.Read(ref _invalidations) == epoch)
            {
                _memory?.SetIfUnchanged(key, FromDistributed(remote), observed);
            }

            return new CacheLookup<TValue>(true, remote.Value);
        }

        _metrics.Misses.Add(1, _cacheTag, _l2Tag);
        return default;
    }
}
