using System.IO.Hashing;
using System.Text;

namespace DataPatterns.Sharding;

/// <summary>
/// A consistent-hash ring with virtual nodes: each shard is placed at many points on a 64-bit ring (more for a higher
/// weight), and a key belongs to the first point at or after its hash. Adding a shard moves only the keys that fall just
/// before the new shard's points (about 1/(n + 1)), all to the new shard. Balance improves with the number of virtual
/// nodes (the spread of shares is about 1/sqrt(nodes per shard)); lookup is a binary search over all points.
/// Points are XXH3 hashes of "name#i", so they do not depend on the order of the shard list.
/// </summary>
public sealed class ConsistentHashRing : HashShardingAlgorithm
{
    private readonly ulong[] _points;
    private readonly int[] _owners;

    /// <summary>Builds the ring.</summary>
    /// <param name="shardNames">The shards' names (their identity on the ring).</param>
    /// <param name="virtualNodesPerShard">Points per shard of weight 1.</param>
    /// <param name="weights">Optional relative weights; a shard of weight 2 gets twice the points.</param>
    public ConsistentHashRing(IReadOnlyList<string> shardNames, int virtualNodesPerShard, IReadOnlyList<double>? weights = null)
        : base(shardNames?.Count ?? 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(virtualNodesPerShard);
        var points = new List<(ulong Point, int Owner)>();
        Span<byte> buffer = stackalloc byte[512];
        for (var shard = 0; shard < shardNames!.Count; shard++)
        {
            var weight = weights?[shard] ?? 1.0;
            var count = Math.Max(1, (int)Math.Round(virtualNodesPerShard * weight));
            for (var node = 0; node < count; node++)
            {
                var label = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{shardNames[shard]}#{node}");
                var length = Encoding.UTF8.GetBytes(label, buffer);
                points.Add((XxHash3.HashToUInt64(buffer[..length]), shard));
            }
        }

        // Ties (two names hashing to one point) go to the lower shard index so every process builds the same ring.
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Owner.CompareTo(b.Owner));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    /// <summary>The number of points on the ring.</summary>
    public int PointCount => _points.Length;

    /// <inheritdoc />
    public override int GetShardIndex(ulong hash)
    {
        var points = _points;
        // First point >= hash, wrapping to the first point past the end of the ring.
        int low = 0, high = points.Length;
        while (low < high)
        {
            var middle = (int)((uint)(low + high) >> 1);
            if (points[middle] < hash)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return _owners[low == points.Length ? 0 : low];
    }
}
