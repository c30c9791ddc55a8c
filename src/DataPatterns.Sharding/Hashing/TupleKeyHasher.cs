namespace DataPatterns.Sharding;

internal sealed class TupleKeyHasher<T1, T2>(IShardKeyHasher<T1> first, IShardKeyHasher<T2> second) : IShardKeyHasher<(T1, T2)>
{
    public ulong Hash((T1, T2) key) => StableKeyHash.Combine(first.Hash(key.Item1), second.Hash(key.Item2));
}

internal sealed class TupleKeyHasher<T1, T2, T3>(IShardKeyHasher<T1> first, IShardKeyHasher<T2> second, IShardKeyHasher<T3> third) : IShardKeyHasher<(T1, T2, T3)>
{
    public ulong Hash((T1, T2, T3) key) => StableKeyHash.Combine(first.Hash(key.Item1), second.Hash(key.Item2), third.Hash(key.Item3));
}
