using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Samples.Shop.Postgres;
using DataPatterns.Sharding;
using DataPatterns.Transactions;
using DataPatterns.Transactions.MySql;
using DataPatterns.Transactions.Npgsql;
using MySqlConnector;
using Npgsql;

namespace DataPatterns.Samples.Shop.MariaDb;

/// <summary>
/// Places an order across PostgreSQL and MariaDB in one two-phase-commit transaction: the payment (and the outbox event
/// the order-history projection reads) in PostgreSQL, the order row in the customer's MariaDB order shard, an XA branch.
/// </summary>
public sealed class MariaDbOrderLedger(
    TwoPhaseCommitCoordinator coordinator,
    [FromKeyedServices(ShopShards.Orders)] ShardResolver<long> shards,
    NpgsqlOutbox outbox,
    ILogger<MariaDbOrderLedger> logger) : IOrderLedger
{
    private const string InsertOrder = "INSERT INTO `orders` (`order_id`, `customer_id`, `product_id`, `quantity`, `amount`) VALUES (@order_id, @customer_id, @product_id, @quantity, @amount)";

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
            var orders = await transaction.EnlistMySqlAsync(shard.Name, cancellationToken);
            try
            {
                await OrderPayment.InsertAsync(payments, order, placed, cancellationToken);
                await using (var place = new MySqlCommand(InsertOrder, orders.Connection))
                {
                    // The id as text, in the form PostgreSQL prints a uuid, so both engines' ids compare as they are.
                    place.Parameters.AddWithValue("@order_id", order.OrderId.ToString("D"));
                    place.Parameters.AddWithValue("@customer_id", order.CustomerId);
                    place.Parameters.AddWithValue("@product_id", order.ProductId);
                    place.Parameters.AddWithValue("@quantity", order.Quantity);
                    place.Parameters.AddWithValue("@amount", placed.Amount);
                    await place.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            catch (Exception e) when (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } or MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry })
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
