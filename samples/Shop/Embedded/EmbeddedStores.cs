using System.Globalization;
using DataPatterns.Cqrs;
using DataPatterns.Sharding;
using DataPatterns.Transactions;

namespace DataPatterns.Samples.Shop.Embedded;

/// <summary>The embedded mode's databases: the main one (catalogue, carts, payments, outbox) and the two order shards.</summary>
public sealed class EmbeddedDatabases
{
    /// <summary>Creates the databases, seeds the catalogue and wires committed payments to the event log.</summary>
    public EmbeddedDatabases(EmbeddedEventLog events, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(events);
        Payments = new EmbeddedDatabase(ShopShards.Payments, time) { Committed = events.Append };
        Shards = new Dictionary<string, EmbeddedDatabase>(StringComparer.Ordinal)
        {
            [ShopShards.OrdersOne] = new(ShopShards.OrdersOne, time),
            [ShopShards.OrdersTwo] = new(ShopShards.OrdersTwo, time),
        };
        for (var id = 1; id <= 100; id++)
        {
            Payments.Put("products", Key(id), new Product(id, $"Product {id}", 5 + (id * 37 % 200)));
        }
    }

    /// <summary>Catalogue, carts, payments and the outbox.</summary>
    public EmbeddedDatabase Payments { get; }

    /// <summary>The order shards by name.</summary>
    public IReadOnlyDictionary<string, EmbeddedDatabase> Shards { get; }

    internal static string Key<T>(T key) where T : IFormattable => key.ToString(null, CultureInfo.InvariantCulture);
}

/// <summary>The catalogue in memory.</summary>
public sealed class EmbeddedCatalogStore(EmbeddedDatabases databases) : ICatalogStore
{
    /// <inheritdoc />
    public ValueTask<Product?> FindAsync(int id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(databases.Payments.Find<Product>("products", EmbeddedDatabases.Key(id)));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Product>> ListAsync(int afterId, int count, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<Product>>([.. databases.Payments.All<Product>("products").Where(p => p.Id > afterId).OrderBy(p => p.Id).Take(count)]);

    /// <inheritdoc />
    public ValueTask SaveAsync(Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);
        databases.Payments.Put("products", EmbeddedDatabases.Key(product.Id), product);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Carts in memory (the write-back queue flushes into it).</summary>
public sealed class EmbeddedCartStore(EmbeddedDatabases databases) : ICartStore
{
    /// <inheritdoc />
    public ValueTask<Cart?> FindAsync(long customerId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(databases.Payments.Find<Versioned<Cart>>("carts", EmbeddedDatabases.Key(customerId))?.Row);

    /// <inheritdoc />
    public ValueTask SaveAsync(IReadOnlyList<(Cart Cart, long Version)> carts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(carts);
        foreach (var (cart, version) in carts)
        {
            databases.Payments.PutIfNewer("carts", EmbeddedDatabases.Key(cart.CustomerId), cart, version);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Orders in memory, through the same two-phase-commit coordinator (with its file decision log) as on real servers.</summary>
public sealed class EmbeddedOrderLedger(
    TwoPhaseCommitCoordinator coordinator,
    [FromKeyedServices(ShopShards.Orders)] ShardResolver<long> shards,
    EmbeddedDatabases databases) : IOrderLedger
{
    /// <inheritdoc />
    public async ValueTask<OrderPlaced> PlaceAsync(PlaceOrder order, Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(product);
        var placed = OrderPlacedEvent.For(order, product);
        var shard = shards.Resolve(order.CustomerId);
        var key = order.OrderId.ToString("N");
        if (databases.Payments.Exists("payments", key))
        {
            throw new OrderRejectedException(OrderRejection.Duplicate, $"order {order.OrderId} was placed already.");
        }

        await using var transaction = coordinator.Begin();
        var payments = databases.Payments.Enlist(transaction);
        var orders = databases.Shards[shard.Name].Enlist(transaction);
        payments.Insert("payments", key, placed);
        orders.Insert("orders", key, placed);
        payments.Append(new EmbeddedEvent(EmbeddedDatabases.Key(order.CustomerId), ShopEvents.OrderPlaced, placed.ToJson()));
        await transaction.CommitAsync(cancellationToken);   // a concurrent duplicate votes no at prepare: aborted, 503
        return new OrderPlaced(order.OrderId, order.CustomerId, shard.Name, placed.Amount);
    }
}

/// <summary>The order-history projection into the embedded read model.</summary>
public sealed class EmbeddedOrderHistoryProjection : IProjection<EmbeddedReadModel>
{
    /// <inheritdoc />
    public string Name => "order_history";

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes { get; } = [ShopEvents.OrderPlaced];

    /// <inheritdoc />
    public ValueTask InitializeAsync(EmbeddedReadModel context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, EmbeddedReadModel context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(context);
        foreach (var e in events)
        {
            var placed = OrderPlacedEvent.FromJson(e.Payload);
            context.Upsert("orders", placed.OrderId.ToString("N"), (placed.CustomerId, new OrderSummary(placed.OrderId, placed.ProductId, placed.Quantity, placed.Amount, e.CreatedAt)));
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Reads the embedded order-history read model.</summary>
public sealed class EmbeddedOrderHistoryReader(EmbeddedProjectionStore store) : IOrderHistoryReader
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OrderSummary>> ForCustomerAsync(long customerId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<OrderSummary>>([.. store.Read<(long CustomerId, OrderSummary Order)>("order_history", "orders")
            .Where(r => r.CustomerId == customerId).Select(r => r.Order).OrderByDescending(o => o.PlacedAt).Take(100)]);
}

/// <summary>No replica in the embedded mode: every read already sees every write.</summary>
public sealed class EmbeddedWriteConsistency : IWriteConsistency
{
    /// <inheritdoc />
    public ValueTask AfterWriteAsync(HttpContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
