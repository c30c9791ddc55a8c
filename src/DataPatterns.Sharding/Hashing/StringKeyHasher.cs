namespace DataPatterns.Sharding;

internal sealed class StringKeyHasher : IShardKeyHasher<string>
{
    public ulong Hash(string key) => key is null
        ? throw new ArgumentNullException(nameof(key), "A shard key cannot be null: every row must belong to exactly one shard.")
        : StableKeyHash.Hash(key.AsSpan());
}
