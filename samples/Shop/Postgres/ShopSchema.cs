using Npgsql;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>Creates the Shop's databases and tables, idempotently, so that several instances may start at once.</summary>
public static class ShopSchema
{
    private const long SchemaLock = 0x5_4809;

    private const string PrimaryTables = """
        CREATE TABLE IF NOT EXISTS products (id int PRIMARY KEY, name text NOT NULL, price numeric(12,2) NOT NULL);
        CREATE TABLE IF NOT EXISTS carts (customer_id bigint PRIMARY KEY, lines jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
        ALTER TABLE carts ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 0;
        CREATE TABLE IF NOT EXISTS payments (order_id uuid PRIMARY KEY, customer_id bigint NOT NULL, amount numeric(12,2) NOT NULL, paid_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO products (id, name, price)
        SELECT i, 'Product ' || i, round((5 + (i * 37 % 200))::numeric, 2) FROM generate_series(1, 100) AS i
        ON CONFLICT (id) DO NOTHING;
        """;

    // Checked before any DDL: even CREATE INDEX IF NOT EXISTS takes a SHARE lock on the table, which waits for the row
    // locks that a dead instance's prepared orders hold until its replacement (this very process, perhaps) recovers them.
    private const string PrimaryReady = "SELECT to_regclass('payments') IS NOT NULL AND to_regclass('products') IS NOT NULL AND EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'carts' AND column_name = 'version')";

    private const string ShardReady = "SELECT to_regclass('orders_by_customer') IS NOT NULL";

    private const string ShardTables = """
        CREATE TABLE IF NOT EXISTS orders (order_id uuid PRIMARY KEY, customer_id bigint NOT NULL, product_id int NOT NULL,
            quantity int NOT NULL, amount numeric(12,2) NOT NULL, placed_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer_id);
        """;

    /// <summary>Creates what is missing on the primary and both order shards.</summary>
    public static async Task EnsureAsync(ShopServers servers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(servers);
        await EnsureDatabaseAsync(servers.Primary, PrimaryReady, PrimaryTables, cancellationToken);
        await EnsureDatabaseAsync(servers.OrdersOne, ShardReady, ShardTables, cancellationToken);
        await EnsureDatabaseAsync(servers.OrdersTwo, ShardReady, ShardTables, cancellationToken);
    }

    private static async Task EnsureDatabaseAsync(string connectionString, string ready, string tables, CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = ShopServers.Database } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                try
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE {ShopServers.Database}", connection);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
                {
                    // Another instance created it a moment ago.
                }
            }
        }

        await using var shop = new NpgsqlConnection(connectionString);
        await shop.OpenAsync(cancellationToken);
        await using (var check = new NpgsqlCommand(ready, shop))
        {
            if (await check.ExecuteScalarAsync(cancellationToken) is true)
            {
                return;
            }
        }

        // CREATE TABLE IF NOT EXISTS still races on the catalogue: one instance at a time.
        await using var transaction = await shop.BeginTransactionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock})", shop, transaction))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand(tables, shop, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
