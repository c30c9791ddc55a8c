using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Sharding;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using Npgsql;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>
/// Places an order across two PostgreSQL servers in one two-phase-commit transaction: the payment (and the outbox event
/// the order-history projection reads) on the primary, the order row on the customer's order shard.
/// </summary>
public sealed class PostgresOrderLedger(
    TwoPhaseCommitCoordinator coordinator,
    [FromKeyedServices(ShopShards.Orders)] ShardResolver<long> shards,
    NpgsqlOutbox outbox,
    ILogger<PostgresOrderLedger> logger) : IOrderLedger
{
    /// <inheritdoc />
    public async ValueTask<OrderPlaced> PlaceAsync(PlaceOrder order, Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(product);
        var placed = OrderPlacedEvent.For(order, product);
        var shard = shards.Resolve(order.CustomerId);

        await using (var transaction = coordinator.Begin())
        {
            var payments = await transaction.EnlistNpgsqlAsync(ShopShards.Payments, cancellationToken);
            var orders = await transaction.EnlistNpgsqlAsync(shard.Name, cancellationToken);
            try
            {
                await OrderPayment.InsertAsync(payments, order, placed, cancellationToken);
                await using (var place = new NpgsqlCommand("INSERT INTO orders (order_id, customer_id, product_id, quantity, amount) VALUES ($1, $2, $3, $4, $5)", orders.Connection))
                {
                    place.Parameters.Add(new() { Value = order.OrderId });
                    place.Parameters.Add(new() { Value = order.CustomerId });
                    place.Parameters.Add(new() { Value = order.ProductId });
                    place.Parameters.Add(new() { Value = order.Quantity });
                    place.Parameters.Add(new() { Value = placed.Amount });
                    await place.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new OrderRejectedException(OrderRejection.Duplicate, $"order {order.OrderId} was placed already.");
            }

            await OrderPayment.AppendEventAsync(outbox, payments, order, placed, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await OrderPayment.WakeReadersAsync(outbox, order.OrderId, logger);
        return new OrderPlaced(order.OrderId, order.CustomerId, shard.Name, placed.Amount);
    }
}
