namespace DataPatterns.Sharding;

/// <summary>
/// Turns a key into its stable 64-bit hash. Built in for <see cref="int"/>, <see cref="long"/>, <see cref="Guid"/>,
/// <see cref="string"/> and tuples of those (see <see cref="ShardKeyHasher{TKey}.Default"/>); implement it for a key type
/// of your own by hashing the key's canonical bytes with <see cref="StableKeyHash"/>. Never use <see cref="object.GetHashCode"/>.
/// </summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
public interface IShardKeyHasher<in TKey>
{
    /// <summary>Returns the stable hash of <paramref name="key"/>; the same in every process.</summary>
    ulong Hash(TKey key);
}
