namespace DataPatterns.Caching;

/// <summary>The in-process memory level (L1).</summary>
public sealed class MemoryLevelOptions
{
    /// <summary>Whether the memory level is used. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The most entries the memory level holds. Past it, expired entries go first, then the least recently used ones,
    /// down to 90 % of the limit. Default 100,000.
    /// </summary>
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>
    /// A cap on the memory lifetime of entries also held in the distributed level, so instances without a backplane
    /// converge; <see langword="null"/> (default) uses the entry's own lifetime.
    /// </summary>
    public TimeSpan? MaxDuration { get; set; }
}
