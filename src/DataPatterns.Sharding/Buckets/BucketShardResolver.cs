using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

/// <summary>Resolves a key to its virtual bucket, then to the shard that owns the bucket (<see cref="VirtualBucketMap"/>).</summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
public sealed class BucketShardResolver<TKey> : ShardResolver<TKey>
{
    private readonly KeyHashing<TKey> _hashing;

    // Bucket → owning shard, flattened so resolving is one hash and one array read.
    private readonly Shard[] _ownerOfBucket;
    private readonly ulong _bucketCount;

    /// <summary>Creates the resolver over <paramref name="buckets"/>.</summary>
    public BucketShardResolver(string shardSetName, VirtualBucketMap buckets, IShardKeyHasher<TKey>? keyHasher = null)
        : base(shardSetName, buckets?.Shards!)
    {
        Buckets = buckets!;
        _ownerOfBucket = Enumerable.Range(0, Buckets.BucketCount).Select(Buckets.OwnerOf).ToArray();
        _bucketCount = (ulong)Buckets.BucketCount;
        _hashing = new KeyHashing<TKey>(keyHasher, shardSetName);
    }

    /// <summary>The bucket table.</summary>
    public VirtualBucketMap Buckets { get; }

    /// <summary>The bucket of <paramref name="key"/>; store it with the row to make moving buckets a cheap indexed query.</summary>
    public int BucketOf(TKey key) => Buckets.BucketOf(_hashing.Hash(key));

    /// <inheritdoc />
    // Inlined where profile-guided devirtualisation sees one resolver type at a call site, as in most applications.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override Shard Resolve(TKey key)
    {
        var shard = _ownerOfBucket[(int)Math.BigMul(_hashing.Hash(key), _bucketCount, out _)];
        RecordResolution(shard);
        return shard;
    }
}
