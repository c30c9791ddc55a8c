using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Transactions.Npgsql;
using Npgsql;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>
/// The payments side of placing an order, whichever engine holds the order shards: the payment row and the order's
/// outbox event in the payments branch (so the event commits exactly when the payment does), and the wake-up of the
/// projection once the order is placed.
/// </summary>
internal static partial class OrderPayment
{
    /// <summary>Inserts the payment on the payments branch; a second payment for the order id is a unique violation.</summary>
    public static async Task InsertAsync(NpgsqlTransactionBranch payments, PlaceOrder order, OrderPlacedEvent placed, CancellationToken cancellationToken)
    {
        await using var pay = new NpgsqlCommand("INSERT INTO payments (order_id, customer_id, amount) VALUES ($1, $2, $3)", payments.Connection);
        pay.Parameters.Add(new() { Value = order.OrderId });
        pay.Parameters.Add(new() { Value = order.CustomerId });
        pay.Parameters.Add(new() { Value = placed.Amount });
        await pay.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Appends the order-placed event in the payments branch. No NOTIFY inside: PostgreSQL refuses to prepare a
    /// transaction that notified.
    /// </summary>
    public static ValueTask AppendEventAsync(NpgsqlOutbox outbox, NpgsqlTransactionBranch payments, PlaceOrder order, OrderPlacedEvent placed, CancellationToken cancellationToken) =>
        outbox.AppendAsync(payments.Transaction!, new OutboxEvent(order.CustomerId.ToString(System.Globalization.CultureInfo.InvariantCulture), ShopEvents.OrderPlaced, placed.ToJson()), OutboxNotification.AfterCommit, cancellationToken);

    /// <summary>
    /// Wakes the projection after the commit. The order is placed: a failed wake-up must not turn that into an error (the
    /// projection polls anyway), nor may the client's disconnect cancel it.
    /// </summary>
    public static async Task WakeReadersAsync(NpgsqlOutbox outbox, Guid orderId, ILogger logger)
    {
        try
        {
            await outbox.NotifyReadersAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            NotifyFailed(logger, orderId, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} is placed, but waking the projection failed; it will see the order at its next poll.")]
    private static partial void NotifyFailed(ILogger logger, Guid orderId, Exception exception);
}
