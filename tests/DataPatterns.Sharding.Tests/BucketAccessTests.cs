using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Sharding.Tests;

/// <summary>Buckets are reached without a cast: through ShardSets for a registered set, through the factory for a planned one.</summary>
public sealed class BucketAccessTests
{
    [Fact]
    public void AddSharding_returns_a_builder_over_the_same_collection()
    {
        var services = new ServiceCollection();

        var builder = services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("a")));

        Assert.Same(services, builder.Services);
    }

    [Fact]
    public void A_virtual_bucket_set_hands_out_its_buckets_and_a_planned_topology_is_compared_without_casts()
    {
        using var provider = new ServiceCollection()
            .AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("orders-1").AddShard("orders-2")))
            .Services.BuildServiceProvider();

        var current = provider.GetRequiredService<ShardSets>().Buckets<long>("orders");
        var next = ShardResolverFactory.CreateBuckets("orders", new ShardSetOptions<long>().AddShard("orders-1").AddShard("orders-2").AddShard("orders-3"));
        var plan = ReshardingPlan.Create(current.Buckets, next.Buckets);

        Assert.Equal(current.Resolve(42), current.Buckets.OwnerOf(current.BucketOf(42)));
        Assert.NotEmpty(plan.Moves);
        Assert.All(plan.Moves, move => Assert.Equal("orders-3", move.To.Name));
    }

    [Fact]
    public void Asking_a_set_of_another_strategy_for_buckets_names_the_strategy_to_use()
    {
        using var provider = new ServiceCollection()
            .AddSharding(s => s.AddShardSet<long>("orders", o =>
            {
                o.Strategy = ShardingStrategy.JumpHash;
                o.AddShard("a").AddShard("b");
            }))
            .Services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ShardSets>().Buckets<long>("orders"));
        Assert.Contains("ShardingStrategy.VirtualBuckets", error.Message, StringComparison.Ordinal);

        var planned = Assert.Throws<ArgumentException>(() => ShardResolverFactory.CreateBuckets("orders", new ShardSetOptions<long> { Strategy = ShardingStrategy.Modulo }.AddShard("a")));
        Assert.Contains("CreateBuckets needs Strategy = ShardingStrategy.VirtualBuckets", planned.Message, StringComparison.Ordinal);
    }
}
