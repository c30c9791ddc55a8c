namespace DataPatterns.Sharding;

/// <summary>Resolves a key by its stable hash with a <see cref="HashShardingAlgorithm"/> (modulo, jump, ring or rendezvous).</summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
public sealed class HashShardResolver<TKey> : ShardResolver<TKey>
{
    private readonly KeyHashing<TKey> _hashing;
    private readonly Shard[] _shards;

    /// <summary>Creates the resolver.</summary>
    /// <param name="shardSetName">The shard set's name (for messages and metrics).</param>
    /// <param name="shards">The shards, in index order; their count must match the algorithm's.</param>
    /// <param name="algorithm">The algorithm that maps a hash to a shard index.</param>
    /// <param name="keyHasher">A hasher for key types without a built-in encoding, or to replace the built-in one.</param>
    public HashShardResolver(string shardSetName, IReadOnlyList<Shard> shards, HashShardingAlgorithm algorithm, IShardKeyHasher<TKey>? keyHasher = null)
        : base(shardSetName, shards)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (algorithm.ShardCount != shards.Count)
        {
            throw new ArgumentException($"Shard set '{shardSetName}' has {shards.Count} shards but the algorithm was built for {algorithm.ShardCount}.", nameof(algorithm));
        }

        Algorithm = algorithm;
        _shards = shards.ToArray();
        _hashing = new KeyHashing<TKey>(keyHasher, shardSetName);
    }

    /// <summary>The algorithm in use.</summary>
    public HashShardingAlgorithm Algorithm { get; }

    /// <summary>The stable 64-bit hash of <paramref name="key"/> that the algorithm is given.</summary>
    public ulong HashOf(TKey key) => _hashing.Hash(key);

    /// <inheritdoc />
    public override Shard Resolve(TKey key)
    {
        var shard = _shards[Algorithm.GetShardIndex(_hashing.Hash(key))];
        ShardingTelemetry.RecordResolution(ShardSetName, shard);
        return shard;
    }
}
