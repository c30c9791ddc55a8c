using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

/// <summary>
/// The hot-path hash of a key: the built-in encodings are called directly (the JIT removes the type tests for value-type
/// keys), and only a custom or composite hasher goes through the interface.
/// </summary>
internal readonly struct KeyHashing<TKey>
{
    private readonly IShardKeyHasher<TKey>? _custom;

    public KeyHashing(IShardKeyHasher<TKey>? custom, string shardSetName)
    {
        _custom = custom;
        if (custom is null && !IsBuiltIn)
        {
            _custom = ShardKeyHasher<TKey>.Default ?? throw new NotSupportedException(
                $"Shard set '{shardSetName}': keys of type '{typeof(TKey)}' have no built-in stable encoding. "
                + $"Set ShardSetOptions<{typeof(TKey).Name}>.KeyHasher to an IShardKeyHasher that hashes the key's canonical bytes with StableKeyHash, "
                + "or use int, long, Guid, string or a tuple of those.");
        }
    }

    private static bool IsBuiltIn =>
        typeof(TKey) == typeof(long) || typeof(TKey) == typeof(int) || typeof(TKey) == typeof(Guid) || typeof(TKey) == typeof(string);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(TKey key)
    {
        if (_custom is null)
        {
            if (typeof(TKey) == typeof(long))
            {
                return StableKeyHash.Hash(Unsafe.As<TKey, long>(ref key));
            }

            if (typeof(TKey) == typeof(int))
            {
                return StableKeyHash.Hash(Unsafe.As<TKey, int>(ref key));
            }

            if (typeof(TKey) == typeof(Guid))
            {
                return StableKeyHash.Hash(Unsafe.As<TKey, Guid>(ref key));
            }

            // Reference-type keys share one compiled body, where a typeof test would cost a lookup; a type check does not.
            if (!typeof(TKey).IsValueType)
            {
                if (key is string text)
                {
                    return StableKeyHash.Hash(text.AsSpan());
                }

                if (key is null)
                {
                    return ThrowNullKey();
                }
            }
        }

        return _custom!.Hash(key);
    }

    private static ulong ThrowNullKey() =>
        throw new ArgumentNullException("key", "A shard key cannot be null: every row must belong to exactly one shard.");
}
