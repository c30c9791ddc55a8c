namespace DataPatterns.Sharding;

/// <summary>
/// Picks a shard index from a key's stable 64-bit hash. The built-in algorithms are <see cref="ModuloAlgorithm"/>,
/// <see cref="JumpHashAlgorithm"/>, <see cref="ConsistentHashRing"/> and <see cref="RendezvousAlgorithm"/>;
/// each is immutable and safe to share between threads.
/// </summary>
public abstract class HashShardingAlgorithm
{
    /// <summary>Creates the algorithm for <paramref name="shardCount"/> shards.</summary>
    protected HashShardingAlgorithm(int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardCount);
        ShardCount = shardCount;
    }

    /// <summary>The number of shards the algorithm spreads keys over.</summary>
    public int ShardCount { get; }

    /// <summary>Returns the index (0 to <see cref="ShardCount"/> - 1) of the shard that owns <paramref name="hash"/>.</summary>
    public abstract int GetShardIndex(ulong hash);
}
