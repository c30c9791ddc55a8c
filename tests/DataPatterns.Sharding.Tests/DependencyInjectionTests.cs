using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Sharding.Tests;

public sealed class DependencyInjectionTests
{
    private sealed record Order;

    private sealed record Product;

    private sealed class FakeDatabase(string name) : IDisposable
    {
        public string Name { get; } = name;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task Named_shard_sets_resolve_as_keyed_services_with_their_targets_and_domains()
    {
        var services = new ServiceCollection();
        services.AddSharding(sharding =>
        {
            sharding.AddShardSet<long>("orders", o => o.AddShard("orders-1").AddShard("orders-2").AddShard("orders-3"))
                .MapTo((_, shard) => new FakeDatabase("db-" + shard.Name))
                .ForDomain<Order>();
            sharding.AddShardSet<string>("catalog", o => o.AddShard("catalog-db"))
                .ForDomain<Product>();
        });
        FakeDatabase target;
        await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }))
        {
            var orders = provider.GetRequiredKeyedService<ShardResolver<long>>("orders");
            var map = provider.GetRequiredKeyedService<ShardMap<FakeDatabase>>("orders");
            var sets = provider.GetRequiredService<ShardSets>();

            Assert.Equal(3, orders.Shards.Count);
            target = map.For(orders, 12345L);
            Assert.Equal("db-" + orders.Resolve(12345L).Name, target.Name);
            Assert.Same(orders, sets.ResolverFor<Order, long>());
            Assert.Equal("catalog-db", sets.ResolverFor<Product, string>().Resolve("any product").Name);
            Assert.Equal(["catalog", "orders"], sets.Names.Order());
            Assert.Contains("keys of type 'Int64', not 'Guid'", Assert.Throws<InvalidOperationException>(() => sets.Resolver<Guid>("orders")).Message, StringComparison.Ordinal);
            Assert.Contains("No shard set named 'nope'", Assert.Throws<InvalidOperationException>(() => sets.Resolver<long>("nope")).Message, StringComparison.Ordinal);
        }

        Assert.True(target.Disposed, "targets created by the shard map are disposed with the container");
    }

    [Fact]
    public void A_user_registration_of_the_resolver_wins()
    {
        var services = new ServiceCollection();
        var mine = ShardResolverFactory.Create("orders", new ShardSetOptions<long>().AddShard("mine"));
        services.AddKeyedSingleton<ShardResolver<long>>("orders", mine);
        services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("a").AddShard("b")));
        using var provider = services.BuildServiceProvider();
        Assert.Same(mine, provider.GetRequiredKeyedService<ShardResolver<long>>("orders"));
    }
}
