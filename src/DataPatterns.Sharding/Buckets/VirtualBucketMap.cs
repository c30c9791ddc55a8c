using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

/// <summary>
/// A fixed number of virtual buckets (slots), each owned by one shard, as Redis Cluster and Vitess do. A key's bucket
/// never changes (it depends only on the key's hash and the bucket count); resharding moves whole buckets between shards
/// by changing this table, so a move is a list of buckets, and rows can carry their bucket number for cheap copying.
/// </summary>
/// <remarks>
/// The default table is balanced and incremental: it is built by adding the shards one at a time in list order, each new
/// shard taking from every earlier shard just the buckets that bring everyone to its weighted share (within one bucket).
/// So appending a shard moves only about 1/(n + 1) of the buckets, all to the new shard, and every shard holds its share.
/// </remarks>
public sealed class VirtualBucketMap
{
    private readonly int[] _owners;

    private VirtualBucketMap(IReadOnlyList<Shard> shards, int[] owners)
    {
        Shards = shards;
        _owners = owners;
    }

    /// <summary>The number of buckets.</summary>
    public int BucketCount => _owners.Length;

    /// <summary>The shards, in index order.</summary>
    public IReadOnlyList<Shard> Shards { get; }

    /// <summary>The bucket of a key hash: the hash scaled onto [0, bucket count) (multiply-high, no division).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BucketOf(ulong hash, int bucketCount) => (int)Math.BigMul(hash, (ulong)bucketCount, out _);

    /// <summary>The bucket of a key hash in this map.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int BucketOf(ulong hash) => BucketOf(hash, _owners.Length);

    /// <summary>The shard that owns <paramref name="bucket"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Shard OwnerOf(int bucket) => Shards[_owners[bucket]];

    /// <summary>The buckets <paramref name="shard"/> owns, ascending.</summary>
    public IReadOnlyList<int> BucketsOf(Shard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var buckets = new List<int>();
        for (var bucket = 0; bucket < _owners.Length; bucket++)
        {
            if (_owners[bucket] == shard.Index)
            {
                buckets.Add(bucket);
            }
        }

        return buckets;
    }

    /// <summary>Builds the balanced, incremental table, then applies explicit <paramref name="assignments"/> (bucket → shard name) on top.</summary>
    /// <exception cref="ArgumentException">A bucket number is out of range or a shard name is unknown.</exception>
    public static VirtualBucketMap Create(IReadOnlyList<Shard> shards, int bucketCount, IReadOnlyDictionary<int, string>? assignments = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0)
        {
            throw new ArgumentException("A bucket map needs at least one shard.", nameof(shards));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, shards.Count, nameof(bucketCount));
        var owners = BalancedIncremental(shards, bucketCount);
        if (assignments is not null)
        {
            foreach (var (bucket, shardName) in assignments)
            {
                if ((uint)bucket >= (uint)bucketCount)
                {
                    throw new ArgumentException($"Bucket {bucket} is assigned to '{shardName}', but buckets are numbered 0 to {bucketCount - 1}.", nameof(assignments));
                }

                var owner = shards.FirstOrDefault(s => string.Equals(s.Name, shardName, StringComparison.Ordinal))
                    ?? throw new ArgumentException($"Bucket {bucket} is assigned to '{shardName}', which is not one of the shards ({string.Join(", ", shards.Select(s => s.Name))}).", nameof(assignments));
                owners[bucket] = owner.Index;
            }
        }

        return new VirtualBucketMap(shards, owners);
    }

    private static int[] BalancedIncremental(IReadOnlyList<Shard> shards, int bucketCount)
    {
        var owners = new int[bucketCount];
        var counts = new int[shards.Count];
        counts[0] = bucketCount;
        for (var added = 1; added < shards.Count; added++)
        {
            var targets = Apportion(shards, added + 1, bucketCount);
            // Existing shards only give buckets away, never receive: whatever they keep above target goes to the new shard.
            var take = new int[added];
            for (var shard = 0; shard < added; shard++)
            {
                take[shard] = Math.Max(0, counts[shard] - targets[shard]);
            }

            // Each shard gives its buckets in a stable pseudo-random order, so the moved buckets are spread over the key space.
            var order = Enumerable.Range(0, bucketCount)
                .OrderBy(bucket => StableKeyHash.Mix(((ulong)(uint)bucket << 32) | (uint)added))
                .ThenBy(bucket => bucket);
            foreach (var bucket in order)
            {
                var owner = owners[bucket];
                if (take[owner] > 0)
                {
                    take[owner]--;
                    counts[owner]--;
                    owners[bucket] = added;
                    counts[added]++;
                }
            }
        }

        return owners;
    }

    // Largest-remainder apportionment of buckets to the first `count` shards by weight; ties go to the lower index.
    private static int[] Apportion(IReadOnlyList<Shard> shards, int count, int bucketCount)
    {
        var totalWeight = 0.0;
        for (var i = 0; i < count; i++)
        {
            totalWeight += shards[i].Weight;
        }

        var targets = new int[count];
        var remainders = new (double Remainder, int Shard)[count];
        var assigned = 0;
        for (var i = 0; i < count; i++)
        {
            var exact = bucketCount * shards[i].Weight / totalWeight;
            targets[i] = (int)Math.Floor(exact);
            remainders[i] = (exact - targets[i], i);
            assigned += targets[i];
        }

        foreach (var (_, shard) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Shard).Take(bucketCount - assigned))
        {
            targets[shard]++;
        }

        return targets;
    }
}
