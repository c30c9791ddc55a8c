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

    /// <summary>
    /// Writes a batch of carts in one transaction, each with its write-back version: a cart already stored with a higher
    /// version is kept (a write taken over from a dead instance may arrive after a newer one).
    /// </summary>
    ValueTask SaveAsync(IReadOnlyList<(Cart Cart, long Version)> carts, CancellationToken cancellationToken);
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

/// <summary>Why an order was refused; each maps to its own HTTP status.</summary>
public enum OrderRejection
{
    /// <summary>The request itself is wrong (a quantity out of range): 400.</summary>
    Invalid,

    /// <summary>The product does not exist: 404.</summary>
    UnknownProduct,

    /// <summary>An order with this id was placed already (a retry of a placed order): 409.</summary>
    Duplicate,
}

/// <summary>An order that cannot be placed, with the reason the client should see.</summary>
public sealed class OrderRejectedException(OrderRejection reason, string message) : Exception(message)
{
    /// <summary>Why it was refused.</summary>
    public OrderRejection Reason { get; } = reason;
}
