namespace DataPatterns.Sharding.Tests;

public sealed class BalanceTests
{
    public static TheoryData<ShardingStrategy, int> HashStrategies()
    {
        var data = new TheoryData<ShardingStrategy, int>();
        foreach (var strategy in new[] { ShardingStrategy.Modulo, ShardingStrategy.JumpHash, ShardingStrategy.ConsistentHashRing, ShardingStrategy.Rendezvous, ShardingStrategy.VirtualBuckets })
        {
            data.Add(strategy, 4);
            data.Add(strategy, 10);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(HashStrategies))]
    public void A_million_keys_spread_within_five_percent_of_the_mean(ShardingStrategy strategy, int shardCount)
    {
        var resolver = Keys.Resolver(strategy, shardCount);
        var counts = new int[shardCount];
        for (long key = 1; key <= 1_000_000; key++)
        {
            counts[resolver.Resolve(key).Index]++;
        }

        var mean = 1_000_000.0 / shardCount;
        var worst = counts.Max(c => Math.Abs(c - mean) / mean);
        Assert.True(worst <= 0.05, $"{strategy} over {shardCount} shards: counts {string.Join(", ", counts)}; worst deviation {worst:P2} from the mean {mean:F0}.");
    }

    [Fact]
    public void Weighted_shards_receive_keys_in_proportion_to_their_weight()
    {
        foreach (var strategy in new[] { ShardingStrategy.Rendezvous, ShardingStrategy.VirtualBuckets, ShardingStrategy.ConsistentHashRing })
        {
            var options = new ShardSetOptions<long> { Strategy = strategy }.AddShard("small", 1).AddShard("big", 3);
            var resolver = ShardResolverFactory.Create("weighted", options);
            var big = 0;
            for (long key = 1; key <= 200_000; key++)
            {
                big += resolver.Resolve(key).Name == "big" ? 1 : 0;
            }

            var share = big / 200_000.0;
            Assert.True(Math.Abs(share - 0.75) <= 0.03, $"{strategy}: the weight-3 shard got {share:P1} of keys; expected 75% ± 3%.");
        }
    }
}
