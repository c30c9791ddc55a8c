namespace DataPatterns.Samples.Shop;

/// <summary>A product in the catalogue.</summary>
public sealed record Product(int Id, string Name, decimal Price);

/// <summary>One line of a cart.</summary>
public sealed record CartLine(int ProductId, int Quantity);

/// <summary>A customer's cart: written back (write-behind), so a burst of edits costs one database write.</summary>
public sealed record Cart(long CustomerId, IReadOnlyList<CartLine> Lines);

/// <summary>The command that places an order: a payment and an order row, committed together or not at all.</summary>
public sealed record PlaceOrder(Guid OrderId, long CustomerId, int ProductId, int Quantity);

/// <summary>What placing an order did.</summary>
public sealed record OrderPlaced(Guid OrderId, long CustomerId, string OrderShard, decimal Amount);

/// <summary>One row of a customer's order history (the CQRS read model).</summary>
public sealed record OrderSummary(Guid OrderId, int ProductId, int Quantity, decimal Amount, DateTimeOffset PlacedAt);

/// <summary>The query for a customer's order history.</summary>
public sealed record GetOrderHistory(long CustomerId);

/// <summary>The payload of <see cref="ShopEvents.OrderPlaced"/>, the same in both modes.</summary>
public sealed record OrderPlacedEvent(Guid OrderId, long CustomerId, int ProductId, int Quantity, decimal Amount)
{
    /// <summary>The event of placing <paramref name="order"/> at <paramref name="product"/>'s price.</summary>
    public static OrderPlacedEvent For(PlaceOrder order, Product product)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(product);
        return new(order.OrderId, order.CustomerId, order.ProductId, order.Quantity, product.Price * order.Quantity);
    }

    /// <summary>The outbox payload.</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, System.Text.Json.JsonSerializerOptions.Web);

    /// <summary>Reads an outbox payload.</summary>
    /// <exception cref="InvalidOperationException">The payload is empty.</exception>
    public static OrderPlacedEvent FromJson(string payload) =>
        System.Text.Json.JsonSerializer.Deserialize<OrderPlacedEvent>(payload, System.Text.Json.JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException("an order-placed event has an empty payload.");
}

/// <summary>The event the order ledger appends to the outbox with each order.</summary>
public static class ShopEvents
{
    /// <summary>An order was placed and paid.</summary>
    public const string OrderPlaced = "order-placed";
}
