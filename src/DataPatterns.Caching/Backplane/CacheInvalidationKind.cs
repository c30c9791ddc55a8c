namespace DataPatterns.Caching;

/// <summary>What an invalidation removes.</summary>
public enum CacheInvalidationKind
{
    /// <summary>One key (<see cref="CacheInvalidation.Key"/> holds it, serialised).</summary>
    Key = 1,

    /// <summary>Every entry with a tag (<see cref="CacheInvalidation.Tag"/>).</summary>
    Tag = 2,

    /// <summary>Every entry of the cache (<see cref="CacheInvalidation.Key"/> holds the clear time: Unix milliseconds, 8 bytes little-endian).</summary>
    Clear = 3,
}
