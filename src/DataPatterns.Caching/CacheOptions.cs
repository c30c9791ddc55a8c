namespace DataPatterns.Caching;

/// <summary>The settings of one named cache (<c>AddCache&lt;TKey, TValue&gt;(name, options =&gt; ...)</c>).</summary>
public sealed class CacheOptions
{
    /// <summary>When and how entries expire (TTL, sliding, jitter).</summary>
    public ExpirationOptions Expiration { get; } = new();

    /// <summary>The in-process memory level (L1).</summary>
    public MemoryLevelOptions Memory { get; } = new();

    /// <summary>The shared distributed level (L2).</summary>
    public DistributedLevelOptions Distributed { get; } = new();

    /// <summary>Lazy loading: timeouts, refresh-ahead, "not found" caching, cross-process stampede lock.</summary>
    public LoadingOptions Loading { get; } = new();

    /// <summary>Serving a recently expired value when the loader fails.</summary>
    public FailSafeOptions FailSafe { get; } = new();

    /// <summary>How <see cref="ICache{TKey, TValue}.SetAsync"/> writes. Default <see cref="CacheWriteStrategy.CacheOnly"/>.</summary>
    public CacheWriteStrategy WriteStrategy { get; set; } = CacheWriteStrategy.CacheOnly;

    /// <summary>The write-behind queue (used when <see cref="WriteStrategy"/> is <see cref="CacheWriteStrategy.WriteBack"/>).</summary>
    public WriteBackOptions WriteBack { get; } = new();

    /// <summary>
    /// The longest key, in characters of its formatted form (the distributed level's key). Longer keys throw
    /// <see cref="CacheKeyException"/>. Default 512.
    /// </summary>
    public int MaxKeyLength { get; set; } = 512;

    /// <summary>Whether another instance's writes invalidate this instance's memory copies through the backplane. Default true.</summary>
    public bool UseBackplane { get; set; } = true;

    internal bool HasLoader { get; set; }

    internal bool HasWriter { get; set; }
}
