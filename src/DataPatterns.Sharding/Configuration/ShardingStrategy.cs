namespace DataPatterns.Sharding;

/// <summary>How a shard set maps keys to shards. See docs/sharding.md for the trade-offs.</summary>
public enum ShardingStrategy
{
    /// <summary>Stable hash mod n: fast, but resizing moves almost every key.</summary>
    Modulo,

    /// <summary>Jump consistent hash: balanced, no memory, adding a shard moves 1/(n + 1) of keys; shards added or removed only at the end; no weights.</summary>
    JumpHash,

    /// <summary>Consistent-hash ring with virtual nodes and weights; any shard can be added or removed.</summary>
    ConsistentHashRing,

    /// <summary>Rendezvous (highest random weight) hashing with weights; any shard can be added or removed; cost grows with the shard count.</summary>
    Rendezvous,

    /// <summary>A fixed number of virtual buckets, each owned by a shard: balanced, weighted, and resharded by moving whole buckets.</summary>
    VirtualBuckets,

    /// <summary>Ordered key ranges: range scans stay on one shard; the newest range is a hot spot.</summary>
    Range,

    /// <summary>A lookup table (tenant → shard) loaded from a source and refreshed without restart.</summary>
    Directory,
}
