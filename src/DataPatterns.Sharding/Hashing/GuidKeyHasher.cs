using System.Runtime.CompilerServices;

namespace DataPatterns.Sharding;

internal sealed class GuidKeyHasher : IShardKeyHasher<Guid>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(Guid key) => StableKeyHash.Hash(key);
}
