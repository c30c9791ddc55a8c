namespace DataPatterns.Caching;

/// <summary>One invalidation message.</summary>
/// <param name="CacheName">The cache it concerns.</param>
/// <param name="Kind">What it removes.</param>
/// <param name="Key">The serialised key for <see cref="CacheInvalidationKind.Key"/>.</param>
/// <param name="Tag">The tag for <see cref="CacheInvalidationKind.Tag"/>.</param>
public readonly record struct CacheInvalidation(string CacheName, CacheInvalidationKind Kind, ReadOnlyMemory<byte> Key, string? Tag);
