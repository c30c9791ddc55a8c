using DataPatterns.AspNetCore;
using DataPatterns.Caching.Redis;
using DataPatterns.Samples.Shop.Hosting;
using DataPatterns.Samples.Shop.MariaDb;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>The Shop on the real servers of <c>eng/services.sh</c> (<c>--services</c>).</summary>
public static class PostgresShop
{
    /// <summary>Registers every package on PostgreSQL and Redis, as a user of the packages would.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="servers">The servers.</param>
    /// <param name="writeBackFlushInterval">How often queued carts are flushed.</param>
    /// <param name="mariaDbOrders">The MariaDB order shards (<c>--orderShards=mariadb</c>), or null for the PostgreSQL ones.</param>
    public static IServiceCollection AddShopOnServers(this IServiceCollection services, ShopServers servers, TimeSpan writeBackFlushInterval, MariaDbOrders? mariaDbOrders = null)
    {
        ArgumentNullException.ThrowIfNull(servers);

        services.AddShopCaches(durableWriteBack: true, writeBackFlushInterval)
            .UseRedis(o =>
            {
                o.Configuration = servers.Redis;
                o.WriteBackClaimIdleTime = TimeSpan.FromSeconds(5);   // a dead instance's queued carts are taken over after 5 s

                // The Redis of eng/services.sh persists nothing (--save "" --appendonly no), so a queued cart survives the
                // death of an instance but not a Redis restart: the Shop starts with the warning that says so. A deployment
                // that must keep carts across Redis restarts runs Redis with appendonly yes, appendfsync always and Refuse.
                o.WriteBackDurability.Persistence = RedisPersistenceRequirement.Warn;
            });

        services.AddReadWriteSplitting(o => o
                .AddNode("primary", servers.Primary)
                .AddNode("replica", servers.Replica))
            .UseNpgsql();

        services.AddShopShards();

        if (mariaDbOrders is null)
        {
            AddOrdersOnPostgres(services, servers);
        }
        else
        {
            services.AddShopOrdersOnMariaDb(servers, mariaDbOrders);
        }

        services.AddCqrs(cqrs => cqrs
                .AddShopHandlers()
                .AddProjection<PostgresOrderHistoryProjection>()
                .ConfigureRunner(o => o.BatchSize = 500))
            .UseNpgsql(o => o.ConnectionString = servers.Events);

        services.AddScoped<ICatalogStore, PostgresCatalogStore>();
        services.AddScoped<ICartStore, PostgresCartStore>();
        services.AddScoped<IOrderHistoryReader, PostgresOrderHistoryReader>();
        services.AddScoped<IWriteConsistency, PostgresWriteConsistency>();
        // Read-your-writes across requests: app.UseReadYourWrites() carries the session's token in this cookie and header.
        services.AddReadYourWrites(o =>
        {
            o.Carrier = ReadYourWritesCarrier.CookieAndHeader;
            o.CookieName = PostgresWriteConsistency.Cookie;
            o.HeaderName = PostgresWriteConsistency.Header;
        });
        return services;
    }

    /// <summary>The default order shards: node2 and node3, with the payments in one stateless two-phase commit.</summary>
    private static void AddOrdersOnPostgres(IServiceCollection services, ShopServers servers)
    {
        // Stateless commit: an order is committed once the payment and the order row are both prepared, and any
        // instance's recovery finishes any instance's orders from the databases alone, so an instance needs no name that
        // its replacement must reuse, and no decision log.
        services.AddTwoPhaseCommit(o =>
            {
                o.Prefix = "shop";
                o.TransactionTimeout = TimeSpan.FromSeconds(5);        // an order is two inserts: longer means a server is in trouble
                o.RecoveryInterval = TimeSpan.FromSeconds(5);
                o.RecoveryGracePeriod = TimeSpan.FromSeconds(10);      // a prepared branch this young may belong to an order still being placed
            })
            .UseNpgsql(ShopShards.Payments, servers.Payments)
            .UseNpgsql(ShopShards.OrdersOne, servers.OrdersOne)
            .UseNpgsql(ShopShards.OrdersTwo, servers.OrdersTwo)
            .UseStatelessCommit();
        services.AddScoped<IOrderLedger, PostgresOrderLedger>();
    }
}
