using System.Data.Common;
using DataPatterns.Routing;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>The catalogue in PostgreSQL: reads from a replica (one that has this user's writes), writes to the primary.</summary>
public sealed class PostgresCatalogStore(RoutingSession database) : ICatalogStore
{
    /// <inheritdoc />
    public async ValueTask<Product?> FindAsync(int id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadConnectionAsync(cancellationToken);
        await using var command = ShopSql.Command(connection, "SELECT id, name, price FROM products WHERE id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Product(reader.GetInt32(0), reader.GetString(1), reader.GetDecimal(2)) : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Product>> ListAsync(int afterId, int count, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadConnectionAsync(cancellationToken);
        await using var command = ShopSql.Command(connection, "SELECT id, name, price FROM products WHERE id > $1 ORDER BY id LIMIT $2", afterId, count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var products = new List<Product>();
        while (await reader.ReadAsync(cancellationToken))
        {
            products.Add(new Product(reader.GetInt32(0), reader.GetString(1), reader.GetDecimal(2)));
        }

        return products;
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(Product product, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);
        await using var connection = await database.OpenWriteConnectionAsync(cancellationToken);
        await using var command = ShopSql.Command(connection,
            "INSERT INTO products (id, name, price) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name, price = excluded.price",
            product.Id, product.Name, product.Price);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
