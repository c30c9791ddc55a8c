namespace DataPatterns.Caching;

/// <summary>One queued write.</summary>
/// <param name="Id">The store's id for it (ordered by append time).</param>
/// <param name="Key">The serialised key.</param>
/// <param name="Value">The serialised value.</param>
/// <param name="Version">
/// Grows with append order across every instance that shares the store (a Redis stream id), so a writer can refuse a
/// write older than the one it already holds (see <see cref="IVersionedCacheWriter{TKey, TValue}"/>).
/// </param>
public sealed record WriteBackRecord(string Id, ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value, long Version);
