using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Sharding.Tests;

public sealed class DeterminismTests
{
    private static readonly ShardingStrategy[] HashStrategies =
        [ShardingStrategy.Modulo, ShardingStrategy.JumpHash, ShardingStrategy.ConsistentHashRing, ShardingStrategy.Rendezvous, ShardingStrategy.VirtualBuckets];

    [Property]
    public Property The_same_long_key_always_resolves_to_the_same_shard_even_in_a_rebuilt_resolver(long key, PositiveInt shardCount)
    {
        var n = shardCount.Get % 20 + 1;
        return HashStrategies.All(strategy =>
        {
            var first = Keys.Resolver(strategy, n, virtualNodes: 50);
            var second = Keys.Resolver(strategy, n, virtualNodes: 50);
            return first.Resolve(key).Name == first.Resolve(key).Name && first.Resolve(key).Name == second.Resolve(key).Name;
        }).ToProperty();
    }

    [Property]
    public bool The_same_string_key_always_resolves_to_the_same_shard(NonNull<string> key)
    {
        var options = new ShardSetOptions<string>().AddShard("a").AddShard("b").AddShard("c");
        var first = ShardResolverFactory.Create("strings", options);
        var second = ShardResolverFactory.Create("strings", options);
        return first.Resolve(key.Get) == first.Resolve(key.Get) && first.Resolve(key.Get).Name == second.Resolve(key.Get).Name;
    }

    [Property]
    public bool The_same_guid_and_composite_keys_always_resolve_to_the_same_shard(Guid id, int region)
    {
        var guids = new ShardSetOptions<Guid> { Strategy = ShardingStrategy.Rendezvous }.AddShard("a").AddShard("b");
        var composites = new ShardSetOptions<(Guid, int)> { Strategy = ShardingStrategy.ConsistentHashRing, VirtualNodesPerShard = 20 }.AddShard("a").AddShard("b").AddShard("c");
        return ShardResolverFactory.Create("g", guids).Resolve(id).Name == ShardResolverFactory.Create("g", guids).Resolve(id).Name
            && ShardResolverFactory.Create("c", composites).Resolve((id, region)).Name == ShardResolverFactory.Create("c", composites).Resolve((id, region)).Name;
    }

    [Fact]
    public void The_ring_does_not_depend_on_the_order_shards_are_listed_in()
    {
        var abc = new ShardSetOptions<long> { Strategy = ShardingStrategy.ConsistentHashRing, VirtualNodesPerShard = 100 }.AddShard("a").AddShard("b").AddShard("c");
        var cab = new ShardSetOptions<long> { Strategy = ShardingStrategy.ConsistentHashRing, VirtualNodesPerShard = 100 }.AddShard("c").AddShard("a").AddShard("b");
        var first = ShardResolverFactory.Create("ring", abc);
        var second = ShardResolverFactory.Create("ring", cab);
        Assert.All(Keys.Sequential(5_000), key => Assert.Equal(first.Resolve(key).Name, second.Resolve(key).Name));
    }
}
