using System.Text.Json;
using DataPatterns.Routing;
using Npgsql;
using NpgsqlTypes;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>Carts in PostgreSQL on the primary; a write-back flush upserts its whole batch in one statement.</summary>
public sealed class PostgresCartStore(RoutingSession database) : ICartStore
{
    /// <inheritdoc />
    public async ValueTask<Cart?> FindAsync(long customerId, CancellationToken cancellationToken)
    {
        // The primary: the cart's last flush may be younger than any replica's replay.
        await using var connection = await database.OpenWriteConnectionAsync(cancellationToken);
        await using var command = PostgresCatalogStore.Command(connection, "SELECT lines::text FROM carts WHERE customer_id = $1", customerId);
        return await command.ExecuteScalarAsync(cancellationToken) is string lines
            ? new Cart(customerId, JsonSerializer.Deserialize<List<CartLine>>(lines, JsonSerializerOptions.Web) ?? [])
            : null;
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(IReadOnlyList<Cart> carts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(carts);
        await using var connection = (NpgsqlConnection)await database.OpenWriteConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO carts (customer_id, lines, updated_at)
            SELECT c, l::jsonb, now() FROM unnest($1::bigint[], $2::text[]) AS u(c, l)
            ON CONFLICT (customer_id) DO UPDATE SET lines = excluded.lines, updated_at = excluded.updated_at
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = carts.Select(c => c.CustomerId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = carts.Select(c => JsonSerializer.Serialize(c.Lines, JsonSerializerOptions.Web)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
