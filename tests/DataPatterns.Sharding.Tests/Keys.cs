namespace DataPatterns.Sharding.Tests;

internal static class Keys
{
    /// <summary>A deterministic spread of long keys (sequential ids are the common case, so they are included as they are).</summary>
    public static long[] Sequential(int count, long start = 1) => Enumerable.Range(0, count).Select(i => start + i).ToArray();

    public static ShardSetOptions<long> Options(ShardingStrategy strategy, int shards, int virtualNodes = 4000)
    {
        var options = new ShardSetOptions<long> { Strategy = strategy, VirtualNodesPerShard = virtualNodes };
        for (var i = 0; i < shards; i++)
        {
            options.AddShard($"s{i}");
        }

        return options;
    }

    public static ShardResolver<long> Resolver(ShardingStrategy strategy, int shards, int virtualNodes = 4000) =>
        ShardResolverFactory.Create($"{strategy}-{shards}", Options(strategy, shards, virtualNodes));
}
