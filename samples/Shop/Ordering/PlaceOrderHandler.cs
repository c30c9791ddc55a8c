using DataPatterns.Caching;
using DataPatterns.Cqrs;

namespace DataPatterns.Samples.Shop.Ordering;

/// <summary>Places an order: prices it from the products cache, then lets the ledger commit payment and order together.</summary>
public sealed class PlaceOrderHandler(
    [FromKeyedServices(ShopCaches.Products)] ICache<int, Product> products,
    IOrderLedger ledger) : ICommandHandler<PlaceOrder, OrderPlaced>
{
    /// <inheritdoc />
    public async ValueTask<OrderPlaced> HandleAsync(PlaceOrder command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Quantity is < 1 or > 1000)
        {
            throw new OrderRejectedException(OrderRejection.Invalid, "quantity must be between 1 and 1000.");
        }

        var product = await products.GetOrLoadAsync(command.ProductId, cancellationToken)
            ?? throw new OrderRejectedException(OrderRejection.UnknownProduct, $"product {command.ProductId} does not exist.");
        return await ledger.PlaceAsync(command, product, cancellationToken);
    }
}
