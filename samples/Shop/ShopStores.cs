namespace DataPatterns.Samples.Shop;

/// <summary>The catalogue's system of record: PostgreSQL (primary + replica) with --services, memory otherwise.</summary>
public interface ICatalogStore
{
    /// <summary>Reads one product, or null.</summary>
    ValueTask<Product?> FindAsync(int id, CancellationToken cancellationToken);

    /// <summary>Reads a page of products in id order.</summary>
    ValueTask<IReadOnlyList<Product>> ListAsync(int afterId, int count, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a product.</summary>
    ValueTask SaveAsync(Product product, CancellationToken cancellationToken);
}

/// <summary>Where carts are finally written (the write-back cache's writer flushes into it).</summary>
public interface ICartStore
{
    /// <summary>Reads one cart, or null.</summary>
    ValueTask<Cart?> FindAsync(long customerId, CancellationToken cancellationToken);

    /// <summary>Writes a batch of carts in one transaction.</summary>
    ValueTask SaveAsync(IReadOnlyList<Cart> carts, CancellationToken cancellationToken);
}

/// <summary>Places orders: a payment in the payments database and an order in the customer's order shard, atomically.</summary>
public interface IOrderLedger
{
    /// <summary>Places the order in one two-phase-commit transaction and appends its event to the outbox.</summary>
    /// <exception cref="OrderRejectedException">The order cannot be placed (unknown product, duplicate id).</exception>
    ValueTask<OrderPlaced> PlaceAsync(PlaceOrder order, Product product, CancellationToken cancellationToken);
}

/// <summary>Reads the order-history read model.</summary>
public interface IOrderHistoryReader
{
    /// <summary>A customer's orders, newest first.</summary>
    ValueTask<IReadOnlyList<OrderSummary>> ForCustomerAsync(long customerId, CancellationToken cancellationToken);
}

/// <summary>Lets the next request of the same user read its own writes (a no-op without a replica).</summary>
public interface IWriteConsistency
{
    /// <summary>Called after a write: remembers how far the primary got, for the user's next reads.</summary>
    ValueTask AfterWriteAsync(HttpContext context, CancellationToken cancellationToken);
}

/// <summary>An order that cannot be placed, with the reason the client should see.</summary>
public sealed class OrderRejectedException(string message) : Exception(message);
