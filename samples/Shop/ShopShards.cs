namespace DataPatterns.Samples.Shop;

/// <summary>The Shop's names for its caches, shard set and shards, shared by both modes.</summary>
public static class ShopShards
{
    /// <summary>The shard set of orders, keyed by customer id.</summary>
    public const string Orders = "orders";

    /// <summary>The first order shard (node2 with --services).</summary>
    public const string OrdersOne = "orders-1";

    /// <summary>The second order shard (node3 with --services).</summary>
    public const string OrdersTwo = "orders-2";

    /// <summary>The payments database's two-phase-commit resource name.</summary>
    public const string Payments = "payments";
}

/// <summary>The Shop's cache names.</summary>
public static class ShopCaches
{
    /// <summary>Products: lazy loading + TTL, write-through.</summary>
    public const string Products = "products";

    /// <summary>Carts: write-back (durable in Redis with --services).</summary>
    public const string Carts = "carts";
}
