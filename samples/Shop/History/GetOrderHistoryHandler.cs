using DataPatterns.Cqrs;

namespace DataPatterns.Samples.Shop.History;

/// <summary>Answers <see cref="GetOrderHistory"/> from the read model the order-history projection keeps.</summary>
public sealed class GetOrderHistoryHandler(IOrderHistoryReader reader) : IQueryHandler<GetOrderHistory, IReadOnlyList<OrderSummary>>
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OrderSummary>> HandleAsync(GetOrderHistory query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return reader.ForCustomerAsync(query.CustomerId, cancellationToken);
    }
}
