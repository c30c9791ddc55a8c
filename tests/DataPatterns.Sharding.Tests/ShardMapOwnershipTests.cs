using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Sharding.Tests;

/// <summary>A map indexes by <see cref="Shard.Index"/>, which only means something inside one set: it must refuse any other set's shards.</summary>
public sealed class ShardMapOwnershipTests
{
    private static ShardResolver<long> Set(string name, int shardCount, ShardingStrategy strategy = ShardingStrategy.JumpHash)
    {
        var options = new ShardSetOptions<long> { Strategy = strategy };
        for (var i = 0; i < shardCount; i++)
        {
            options.AddShard($"{name}-{i}");
        }

        return ShardResolverFactory.Create(name, options);
    }

    private static ShardMap<string> MapOf(ShardResolver<long> resolver) =>
        new(resolver.ShardSetName, resolver.Shards, shard => "db-" + shard.Name);

    [Property]
    public bool A_map_answers_every_key_with_the_target_of_the_shard_its_own_resolver_picks(long key)
    {
        var orders = Set("orders", 5);
        var map = MapOf(orders);
        return map.For(orders, key) == "db-" + orders.Resolve(key).Name && map[orders.Resolve(key)] == "db-" + orders.Resolve(key).Name;
    }

    [Fact]
    public void A_map_refuses_the_resolver_of_another_set_for_every_key_instead_of_answering_with_a_wrong_shard()
    {
        // Same shard count, so every index is in range: before the check, most keys silently went to the wrong target.
        var orders = Set("orders", 3);
        var customers = Set("customers", 3);
        var map = MapOf(orders);

        for (long key = 0; key < 1_000; key++)
        {
            var error = Assert.Throws<ShardSetMismatchException>(() => map.For(customers, key));
            Assert.Equal("orders", error.MapShardSetName);
            Assert.Equal("customers", error.ShardSetOfShard);
        }
    }

    [Fact]
    public void A_refused_shard_names_its_set_the_maps_set_and_the_map_to_use_instead()
    {
        var orders = Set("orders", 3);
        var customers = Set("customers", 3);
        var map = MapOf(orders);

        var error = Assert.Throws<ShardSetMismatchException>(() => map[customers.Shards[1]]);

        Assert.Equal("customers-1", error.ShardName);
        Assert.Contains("Shard 'customers-1' belongs to shard set 'customers', but this map was built for set 'orders'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Use the map of set 'customers'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_map_refuses_a_shard_of_another_build_of_the_same_set_and_says_to_take_both_from_one_container()
    {
        static ServiceProvider Build()
        {
            var services = new ServiceCollection();
            services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("a").AddShard("b")).MapTo((_, shard) => shard.Name));
            return services.BuildServiceProvider();
        }

        await using var first = Build();
        await using var second = Build();
        var map = first.GetRequiredKeyedService<ShardMap<string>>("orders");
        var foreignResolver = second.GetRequiredKeyedService<ShardResolver<long>>("orders");
        var ownResolver = first.GetRequiredKeyedService<ShardResolver<long>>("orders");

        var error = Assert.Throws<ShardSetMismatchException>(() => map.For(foreignResolver, 42L));

        Assert.Contains("another build of set 'orders'", error.Message, StringComparison.Ordinal);
        Assert.Equal(ownResolver.Resolve(42L).Name, map.For(ownResolver, 42L));
    }

    [Fact]
    public void A_map_named_for_another_set_than_its_shards_is_refused_when_built()
    {
        var customers = Set("customers", 2);

        var error = Assert.Throws<ArgumentException>(() => new ShardMap<string>("orders", customers.Shards, shard => shard.Name));

        Assert.Contains("The shards belong to shard set 'customers', not 'orders'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_map_built_from_shards_of_several_sets_is_refused_when_built()
    {
        var orders = Set("orders", 2);
        var customers = Set("customers", 2);
        Shard[] mixed = [orders.Shards[0], customers.Shards[1]];

        var error = Assert.Throws<ArgumentException>(() => new ShardMap<string>("orders", mixed, shard => shard.Name));

        Assert.Contains("shard 'customers-1' of set 'customers' sits at position 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scatter_gather_refuses_a_shard_of_another_set_in_its_shard_list()
    {
        var orders = Set("orders", 3);
        var customers = Set("customers", 3);
        var map = MapOf(orders);

        var error = await Assert.ThrowsAsync<ShardSetMismatchException>(() => map.ScatterGatherAsync<string, string>(
            (target, _, _) => Task.FromResult<IReadOnlyList<string>>([target]),
            new ScatterGatherOptions { Shards = [customers.Shards[0]] }));

        Assert.Contains("list only shards of the map's set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_a_resolver_with_the_wrong_key_type_names_the_key_type_to_ask_for()
    {
        var services = new ServiceCollection();
        services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("a")));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ShardSets>().Resolver<Guid>("orders"));

        Assert.Contains("ask for Resolver<Int64>(\"orders\")", error.Message, StringComparison.Ordinal);
    }
}
