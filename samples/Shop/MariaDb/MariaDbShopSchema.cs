using DataPatterns.Samples.Shop.Postgres;
using MySqlConnector;

namespace DataPatterns.Samples.Shop.MariaDb;

/// <summary>Creates the Shop's database and orders table on both MariaDB order shards, idempotently (instances may start at once).</summary>
public static class MariaDbShopSchema
{
    // Checked before any DDL: a dead instance's prepared XA branches hold metadata locks on the table until recovery
    // settles them, and DDL on the table would wait behind them.
    private const string Ready = "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'orders' AND index_name = 'orders_by_customer'";

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS `orders` (
            `order_id` CHAR(36) NOT NULL PRIMARY KEY,
            `customer_id` BIGINT NOT NULL,
            `product_id` INT NOT NULL,
            `quantity` INT NOT NULL,
            `amount` DECIMAL(12,2) NOT NULL,
            `placed_at` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
            KEY `orders_by_customer` (`customer_id`)
        ) ENGINE=InnoDB
        """;

    /// <summary>Creates what is missing on both shards.</summary>
    public static async Task EnsureAsync(MariaDbOrders orders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orders);
        await EnsureShardAsync(orders.OrdersOne, cancellationToken);
        await EnsureShardAsync(orders.OrdersTwo, cancellationToken);
    }

    private static async Task EnsureShardAsync(string connectionString, CancellationToken cancellationToken)
    {
        var admin = new MySqlConnectionStringBuilder(connectionString) { Database = string.Empty, Pooling = false };
        await using (var connection = new MySqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new MySqlCommand($"CREATE DATABASE IF NOT EXISTS `{ShopServers.Database}`", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var shop = new MySqlConnection(new MySqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await shop.OpenAsync(cancellationToken);
        await using (var check = new MySqlCommand(Ready, shop))
        {
            if (Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return;
            }
        }

        await using var tables = new MySqlCommand(Tables, shop);
        await tables.ExecuteNonQueryAsync(cancellationToken);
    }
}
