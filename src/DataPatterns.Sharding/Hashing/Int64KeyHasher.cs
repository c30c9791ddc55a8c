using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

internal sealed class Int64KeyHasher : IShardKeyHasher<long>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(long key) => StableKeyHash.Hash(key);
}
