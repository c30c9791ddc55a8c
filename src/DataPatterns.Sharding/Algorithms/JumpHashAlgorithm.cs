using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

/// <summary>
/// Jump consistent hash (Lamping and Veach, 2014): no memory, near-perfect balance, and growing from n to n + 1 shards
/// moves only 1/(n + 1) of the keys, all of them to the new shard. Shards can only be added or removed at the end of the
/// list, and it has no weights: for those, use <see cref="ConsistentHashRing"/>, <see cref="RendezvousAlgorithm"/> or virtual buckets.
/// </summary>
public sealed class JumpHashAlgorithm : HashShardingAlgorithm
{
    /// <summary>Creates the algorithm for <paramref name="shardCount"/> shards.</summary>
    public JumpHashAlgorithm(int shardCount)
        : base(shardCount)
    {
    }

    /// <inheritdoc />
    public override int GetShardIndex(ulong hash) => Jump(hash, ShardCount);

    /// <summary>The jump consistent hash function itself: the bucket (0 to <paramref name="buckets"/> - 1) of <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Jump(ulong key, int buckets)
    {
        long candidate = -1;
        long next = 0;
        while (next < buckets)
        {
            candidate = next;
            key = (key * 2862933555777941757UL) + 1;
            next = (long)((candidate + 1) * (2147483648.0 / ((key >> 33) + 1)));
        }

        return (int)candidate;
    }
}
