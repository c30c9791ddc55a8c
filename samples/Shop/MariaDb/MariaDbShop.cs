using DataPatterns.Samples.Shop.Postgres;

namespace DataPatterns.Samples.Shop.MariaDb;

/// <summary>The two-phase commit of <c>--orderShards=mariadb</c>: payments on PostgreSQL, the order shards on MariaDB.</summary>
public static class MariaDbShop
{
    /// <summary>
    /// Registers the coordinator over "payments" (PostgreSQL) and the two MariaDB order shards (XA participants), and the
    /// ledger that places each order across them.
    /// </summary>
    public static IServiceCollection AddShopOrdersOnMariaDb(this IServiceCollection services, ShopServers servers, MariaDbOrders orders)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(orders);

        // Stateless commit needs a marker and a fence on every participant, which the PostgreSQL participant has; this
        // variant keeps the commit decisions instead, in a table of the payments database that every instance shares.
        // Any instance's recovery then settles the orders that a dead instance (one whose claim on its node id has lapsed)
        // left prepared on either engine, so a replacement need not come back under the same --node.
        services.AddTwoPhaseCommit(o =>
            {
                o.Prefix = "shop";
                o.NodeId = orders.NodeId;
                o.TakeOverDeadNodes = true;
                o.TransactionTimeout = TimeSpan.FromSeconds(5);        // an order is two inserts: longer means a server is in trouble
                o.RecoveryInterval = TimeSpan.FromSeconds(5);
                o.RecoveryGracePeriod = TimeSpan.FromSeconds(10);      // a prepared branch this young may belong to an order still being placed
            })
            .UseNpgsql(ShopShards.Payments, servers.Payments)
            .UseMySql(ShopShards.OrdersOne, orders.OrdersOne)
            .UseMySql(ShopShards.OrdersTwo, orders.OrdersTwo)
            .UseNpgsqlDecisionLog(servers.Payments);
        services.AddScoped<IOrderLedger, MariaDbOrderLedger>();
        return services;
    }
}
