namespace DataPatterns.Caching;

/// <summary>How <see cref="ICache{TKey, TValue}.SetAsync"/> writes.</summary>
public enum CacheWriteStrategy
{
    /// <summary>Only the cache is written (the application writes the database itself, then sets or removes the key).</summary>
    CacheOnly,

    /// <summary>The writer (database) first, then the cache; a failed database write leaves no cached value behind.</summary>
    WriteThrough,

    /// <summary>The cache and a write-behind queue; the queue is flushed to the writer in coalesced batches later.</summary>
    WriteBack,
}
