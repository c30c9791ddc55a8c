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
        await using var command = ShopSql.Command(connection, "SELECT lines::text FROM carts WHERE customer_id = $1", customerId);
        return await command.ExecuteScalarAsync(cancellationToken) is string lines
            ? new Cart(customerId, JsonSerializer.Deserialize<List<CartLine>>(lines, JsonSerializerOptions.Web) ?? [])
            : null;
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(IReadOnlyList<(Cart Cart, long Version)> carts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(carts);
        await using var connection = (NpgsqlConnection)await database.OpenWriteConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO carts (customer_id, lines, version, updated_at)
            SELECT c, l::jsonb, v, now() FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS u(c, l, v)
            ON CONFLICT (customer_id) DO UPDATE SET lines = excluded.lines, version = excluded.version, updated_at = excluded.updated_at
            WHERE carts.version < excluded.version
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = carts.Select(c => c.Cart.CustomerId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = carts.Select(c => JsonSerializer.Serialize(c.Cart.Lines, JsonSerializerOptions.Web)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = carts.Select(c => c.Version).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
