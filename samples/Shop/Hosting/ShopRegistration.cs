using DataPatterns.Caching;
using DataPatterns.Samples.Shop.Carts;
using DataPatterns.Samples.Shop.Catalog;
using DataPatterns.Samples.Shop.History;
using DataPatterns.Samples.Shop.Ordering;

namespace DataPatterns.Samples.Shop.Hosting;

/// <summary>What the Shop registers the same way in both modes: its caches, its shard set, its handlers.</summary>
public static class ShopRegistration
{
    /// <summary>The products and carts caches; the caller adds the shared level (Redis) when it has one.</summary>
    public static CachingBuilder AddShopCaches(this IServiceCollection services, bool durableWriteBack, TimeSpan writeBackFlushInterval) =>
        services.AddCaching(caching => caching
            .Configure(o => o.ApplicationName = "shop")                         // Redis keys and channels start with "shop:"
            .AddCache<int, Product>(ShopCaches.Products, o =>
            {
                o.Expiration.Duration = TimeSpan.FromMinutes(5);
                o.Expiration.JitterMaxDuration = TimeSpan.FromSeconds(30);   // products seeded together do not expire together
                o.Loading.RefreshAheadRatio = 0.8;                             // popular products are reloaded before they expire
                o.Loading.NotFoundDuration = TimeSpan.FromSeconds(10);       // unknown ids do not reach the database every time
                o.Loading.Timeout = TimeSpan.FromSeconds(2);
                o.FailSafe.Enabled = true;                                     // the database down: serve the last price for a while
                o.FailSafe.MaxStaleDuration = TimeSpan.FromMinutes(10);
                o.WriteStrategy = CacheWriteStrategy.WriteThrough;
            })
            .WithLoader<ProductRepository>()
            .WithWriter<ProductRepository>()
            .WarmUp(Enumerable.Range(1, 20))
            .AddCache<long, Cart>(ShopCaches.Carts, o =>
            {
                o.Expiration.Duration = TimeSpan.FromMinutes(30);
                o.Expiration.SlidingExpiration = TimeSpan.FromMinutes(10);
                o.WriteStrategy = CacheWriteStrategy.WriteBack;
                o.WriteBack.Durable = durableWriteBack;                      // in a Redis stream: a killed instance loses no cart
                o.WriteBack.FlushInterval = writeBackFlushInterval;
                o.WriteBack.BatchSize = 500;
            })
            .WithLoader<CartRepository>()
            .WithWriter<CartRepository>());

    /// <summary>Orders live on one of two shards, chosen by customer id.</summary>
    public static IServiceCollection AddShopShards(this IServiceCollection services) =>
        services.AddSharding(sharding => sharding
            .AddShardSet<long>(ShopShards.Orders, o => o
                .AddShard(ShopShards.OrdersOne)
                .AddShard(ShopShards.OrdersTwo))).Services;

    /// <summary>The command and query handlers; the caller adds the projection and its store.</summary>
    public static CqrsBuilder AddShopHandlers(this CqrsBuilder cqrs) => cqrs
        .AddCommandHandler<PlaceOrder, OrderPlaced, PlaceOrderHandler>()
        .AddQueryHandler<GetOrderHistory, IReadOnlyList<OrderSummary>, GetOrderHistoryHandler>();
}
