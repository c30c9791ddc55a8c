using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

internal sealed class Int32KeyHasher : IShardKeyHasher<int>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(int key) => StableKeyHash.Hash(key);
}
