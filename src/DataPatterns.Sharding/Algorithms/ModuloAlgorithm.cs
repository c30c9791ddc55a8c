namespace DataPatterns.Sharding;

/// <summary>
/// hash mod n. The simplest and fastest, and the worst to grow: going from n to n + 1 shards moves about n/(n + 1)
/// of all keys (almost everything). Use it only for a shard count that never changes, or behind virtual buckets.
/// </summary>
public sealed class ModuloAlgorithm : HashShardingAlgorithm
{
    private readonly ulong _count;

    /// <summary>Creates the algorithm for <paramref name="shardCount"/> shards.</summary>
    public ModuloAlgorithm(int shardCount)
        : base(shardCount)
    {
        _count = (ulong)shardCount;
    }

    /// <inheritdoc />
    public override int GetShardIndex(ulong hash) => (int)(hash % _count);
}
