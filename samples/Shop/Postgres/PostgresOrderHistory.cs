using System.Globalization;
using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Routing;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>The order-history projection into PostgreSQL: one row per order, written with the checkpoint in one transaction.</summary>
public sealed class PostgresOrderHistoryProjection : IProjection<NpgsqlProjectionContext>
{
    /// <summary>The projection's name, also the schema readers query.</summary>
    public const string ProjectionName = "order_history";

    private static readonly string[] Columns = ["order_id", "customer_id", "product_id", "quantity", "amount", "placed_at"];

    /// <inheritdoc />
    public string Name => ProjectionName;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes { get; } = [ShopEvents.OrderPlaced];

    /// <inheritdoc />
    public ValueTask InitializeAsync(NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Execute($"CREATE TABLE {context.Table("orders")} (order_id uuid PRIMARY KEY, customer_id bigint NOT NULL, product_id int NOT NULL, quantity int NOT NULL, amount numeric(12,2) NOT NULL, placed_at timestamptz NOT NULL)");
        context.Execute($"CREATE INDEX ON {context.Table("orders")} (customer_id, placed_at DESC)");
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(context);
        foreach (var e in events)
        {
            var placed = OrderPlacedEvent.FromJson(e.Payload);
            context.Upsert("orders", 1, Columns, placed.OrderId, placed.CustomerId, placed.ProductId, placed.Quantity, placed.Amount, e.CreatedAt);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Reads the order history from the read model's view, on a replica (the read model need not be on the primary).</summary>
public sealed class PostgresOrderHistoryReader(RoutingSession database) : IOrderHistoryReader
{
    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<OrderSummary>> ForCustomerAsync(long customerId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadConnectionAsync(cancellationToken);
        await using var command = ShopSql.Command(connection,
            string.Create(CultureInfo.InvariantCulture, $"SELECT order_id, product_id, quantity, amount, placed_at FROM {PostgresOrderHistoryProjection.ProjectionName}.orders WHERE customer_id = $1 ORDER BY placed_at DESC LIMIT 100"),
            customerId);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var orders = new List<OrderSummary>();
            while (await reader.ReadAsync(cancellationToken))
            {
                orders.Add(new OrderSummary(reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetDecimal(3), reader.GetFieldValue<DateTimeOffset>(4)));
            }

            return orders;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            return []; // The projection has not created its first generation yet (or it has not reached this replica).
        }
    }
}

/// <summary>
/// Read-your-writes across requests: a write marks the request's routing session, and the <c>UseReadYourWrites()</c>
/// middleware (DataPatterns.AspNetCore) asks the primary for its position once, as the response starts, and sends it in a
/// cookie and a header that the user's next request brings back.
/// </summary>
public sealed class PostgresWriteConsistency(RoutingSession session) : IWriteConsistency
{
    /// <summary>The cookie that carries the token.</summary>
    public const string Cookie = "dp-consistency";

    /// <summary>The header that carries the token (for clients without cookies).</summary>
    public const string Header = "X-Consistency-Token";

    /// <inheritdoc />
    public ValueTask AfterWriteAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The write went through the cache's writer in a scope of its own, so the session did not see it: mark it, and the
        // middleware asks the primary where it is when the response starts, which covers the write.
        session.MarkWritten();
        return ValueTask.CompletedTask;
    }
}
