using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

/// <summary>Resolves a key by its stable hash with a <see cref="HashShardingAlgorithm"/> (modulo, jump, ring or rendezvous).</summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
public sealed class HashShardResolver<TKey> : ShardResolver<TKey>
{
    private readonly KeyHashing<TKey> _hashing;
    private readonly Shard[] _shards;

    // The two cheapest algorithms are run inline: for them a virtual call would cost as much as the algorithm itself.
    private readonly int _inlineAlgorithm;
    private readonly ulong _shardCount;

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
        _shardCount = (ulong)_shards.Length;
        _inlineAlgorithm = algorithm switch
        {
            ModuloAlgorithm => 1,
            JumpHashAlgorithm => 2,
            _ => 0,
        };
    }

    /// <summary>The algorithm in use.</summary>
    public HashShardingAlgorithm Algorithm { get; }

    /// <summary>The stable 64-bit hash of <paramref name="key"/> that the algorithm is given.</summary>
    public ulong HashOf(TKey key) => _hashing.Hash(key);

    /// <inheritdoc />
    // Inlined where profile-guided devirtualisation sees one resolver type at a call site, as in most applications.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override Shard Resolve(TKey key)
    {
        var hash = _hashing.Hash(key);
        var index = _inlineAlgorithm switch
        {
            1 => (int)(hash % _shardCount),
            2 => JumpHashAlgorithm.Jump(hash, _shards.Length),
            _ => Algorithm.GetShardIndex(hash),
        };
        var shard = _shards[index];
        RecordResolution(shard);
        return shard;
    }
}
