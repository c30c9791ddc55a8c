namespace DataPatterns.Caching;

// What the load path makes of an L2 read (once before the loader, once more after the distributed lock).
internal sealed partial class Cache<TKey, TValue>
{
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
}
