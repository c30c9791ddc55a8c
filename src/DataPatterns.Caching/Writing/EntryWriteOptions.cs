namespace DataPatterns.Caching;

/// <summary>
/// Per-write choices the public <see cref="ICache{TKey, TValue}.SetAsync"/> does not offer (the HybridCache adapter maps
/// its entry options onto them). The default value writes both levels with the cache's own lifetime.
/// </summary>
/// <param name="Duration">The entry's lifetime (no jitter added), or null for the cache's.</param>
/// <param name="MemoryDuration">A shorter lifetime for the memory copy, or null.</param>
/// <param name="SkipMemory">Keep no memory copy (an older one is removed, never served after the write).</param>
/// <param name="SkipDistributed">Leave the distributed level as it is.</param>
internal readonly record struct EntryWriteOptions(TimeSpan? Duration, TimeSpan? MemoryDuration, bool SkipMemory, bool SkipDistributed);
