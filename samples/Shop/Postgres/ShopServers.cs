using DataPatterns.Samples.Shop.Postgres.Budget;
using Npgsql;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>
/// The servers of <c>eng/services.sh</c> as the Shop uses them: the primary holds the catalogue, carts, payments, the
/// outbox, the read models and the 2PC decision log; the replica serves reads; node2 and node3 are the two order shards.
/// Every server gets a database named <see cref="Database"/> of its own.
/// </summary>
public sealed class ShopServers
{
    /// <summary>The Shop's database name on every server.</summary>
    public const string Database = "shop";

    private ShopServers(string primary, string replica, string ordersOne, string ordersTwo, string redis)
        : this(primary, primary, primary, replica, ordersOne, ordersTwo, redis)
    {
    }

    private ShopServers(string primary, string payments, string events, string replica, string ordersOne, string ordersTwo, string redis)
    {
        Primary = primary;
        Payments = payments;
        Events = events;
        Replica = replica;
        OrdersOne = ordersOne;
        OrdersTwo = ordersTwo;
        Redis = redis;
    }

    /// <summary>The primary's Shop database (catalogue, carts), as the router's primary node uses it.</summary>
    public string Primary { get; }

    /// <summary>The primary's Shop database for the payments branch of the two-phase commit (its own pool).</summary>
    public string Payments { get; }

    /// <summary>The primary's Shop database for CQRS: the outbox's events and the read models (its own pool).</summary>
    public string Events { get; }

    /// <summary>The streaming replica of the primary.</summary>
    public string Replica { get; }

    /// <summary>Order shard "orders-1" (node2).</summary>
    public string OrdersOne { get; }

    /// <summary>Order shard "orders-2" (node3).</summary>
    public string OrdersTwo { get; }

    /// <summary>The Redis configuration string.</summary>
    public string Redis { get; }

    /// <summary>Reads the servers from the <c>DATAPATTERNS_*</c> settings that <c>eng/services.sh env</c> prints.</summary>
    /// <exception cref="InvalidOperationException">A setting is missing: the message says which and how to set it.</exception>
    public static ShopServers FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string Require(string name) => configuration[name] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"--services needs {name}. Start the servers with eng/services.sh up and run eval \"$(eng/services.sh env)\" first.");
        return new ShopServers(
            InShopDatabase(Require("DATAPATTERNS_PG_PRIMARY")),
            InShopDatabase(Require("DATAPATTERNS_PG_REPLICA")),
            InShopDatabase(Require("DATAPATTERNS_PG_NODE2")),
            InShopDatabase(Require("DATAPATTERNS_PG_NODE3")),
            Require("DATAPATTERNS_REDIS"));
    }

    /// <summary>The same servers with every pool sized as <paramref name="budgets"/> says (see <see cref="ConnectionBudget"/>).</summary>
    public ShopServers WithPools(IReadOnlyList<ServerBudget> budgets)
    {
        ArgumentNullException.ThrowIfNull(budgets);
        int Size(string pool) => budgets.SelectMany(b => b.Pools).Single(p => p.Name == pool).Size;
        return new ShopServers(
            Sized(Primary, Size(ConnectionBudget.Routing)),
            Sized(Primary, Size(ConnectionBudget.Payments)),
            Sized(Primary, Size(ConnectionBudget.Events)),
            Sized(Replica, Size(ConnectionBudget.Replica)),
            Sized(OrdersOne, Size(ConnectionBudget.OrdersOne)),
            Sized(OrdersTwo, Size(ConnectionBudget.OrdersTwo)),
            Redis);
    }

    private static string Sized(string connectionString, int maxPoolSize) =>
        new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize }.ConnectionString;

    private static string InShopDatabase(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = Database, MaxPoolSize = 100 }.ConnectionString;
}
