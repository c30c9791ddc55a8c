using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Sharding.Tests;

public sealed class ResizeTests
{
    private const int KeyCount = 60_000;

    [Property(MaxTest = 12)]
    public Property Adding_a_shard_moves_about_one_in_n_plus_one_keys_and_only_to_the_new_shard()
    {
        var strategies = Gen.Elements(ShardingStrategy.JumpHash, ShardingStrategy.ConsistentHashRing, ShardingStrategy.Rendezvous, ShardingStrategy.VirtualBuckets);
        var sizes = Gen.Choose(1, 12);
        var offsets = Gen.Choose(0, 1_000_000);
        return Prop.ForAll(Arb.From(strategies), Arb.From(sizes), Arb.From(offsets), (strategy, n, offset) =>
        {
            var before = Keys.Resolver(strategy, n);
            var after = Keys.Resolver(strategy, n + 1);
            var newShard = $"s{n}";
            var moved = 0;
            var movedElsewhere = 0;
            for (long key = offset; key < offset + KeyCount; key++)
            {
                var from = before.Resolve(key).Name;
                var to = after.Resolve(key).Name;
                if (from != to)
                {
                    moved++;
                    movedElsewhere += to == newShard ? 0 : 1;
                }
            }

            var expected = 1.0 / (n + 1);
            var fraction = (double)moved / KeyCount;
            return (movedElsewhere == 0 && Math.Abs(fraction - expected) <= 0.25 * expected + 0.01)
                .Label($"{strategy} {n}→{n + 1}: moved {fraction:P2} (expected {expected:P2}), {movedElsewhere} keys moved between old shards");
        });
    }

    [Fact]
    public void Modulo_moves_almost_every_key_when_a_shard_is_added()
    {
        var before = Keys.Resolver(ShardingStrategy.Modulo, 8);
        var after = Keys.Resolver(ShardingStrategy.Modulo, 9);
        var moved = Keys.Sequential(KeyCount).Count(key => before.Resolve(key).Name != after.Resolve(key).Name);
        // n/(n+1) = 8/9 ≈ 89% of keys change shard: the reason modulo suits only fixed shard counts.
        Assert.InRange(moved / (double)KeyCount, 0.85, 0.93);
    }

    [Fact]
    public void Removing_a_middle_shard_from_a_rendezvous_set_moves_only_that_shards_keys()
    {
        var all = new ShardSetOptions<long> { Strategy = ShardingStrategy.Rendezvous }.AddShard("a").AddShard("b").AddShard("c").AddShard("d");
        var withoutB = new ShardSetOptions<long> { Strategy = ShardingStrategy.Rendezvous }.AddShard("a").AddShard("c").AddShard("d");
        var before = ShardResolverFactory.Create("r", all);
        var after = ShardResolverFactory.Create("r", withoutB);
        foreach (var key in Keys.Sequential(20_000))
        {
            var from = before.Resolve(key).Name;
            if (from != "b")
            {
                Assert.Equal(from, after.Resolve(key).Name);
            }
        }
    }
}
