using System.Text;
using DataPatterns.Testing;
using MySqlConnector;
using Npgsql;

namespace DataPatterns.Shop.Tests;

/// <summary>
/// Servers of its own for the Shop with <c>--orderShards=mariadb</c>: a PostgreSQL primary (catalogue, carts, payments,
/// events, the decision log) with its streaming replica, a Redis, and two MariaDB servers as the two order shards. Each
/// test starts its own Shop instances on them (<see cref="StartShopAsync"/>).
/// </summary>
public sealed class MariaDbOrdersFixture : IAsyncLifetime
{
    public PrivatePostgres Primary { get; private set; } = null!;

    public PrivatePostgres Replica { get; private set; } = null!;

    public PrivateRedis Redis { get; private set; } = null!;

    /// <summary>Order shard "orders-1".</summary>
    public PrivateMariaDb OrdersOne { get; private set; } = null!;

    /// <summary>Order shard "orders-2".</summary>
    public PrivateMariaDb OrdersTwo { get; private set; } = null!;

    private string ShopDatabase => new NpgsqlConnectionStringBuilder(Primary.ConnectionString) { Database = "shop", Pooling = false }.ConnectionString;

    public async Task InitializeAsync()
    {
        Primary = await PrivatePostgres.StartNewAsync("xashop-primary");
        Replica = await Primary.StartReplicaAsync("xashop-replica");
        Redis = await PrivateRedis.StartNewAsync();
        OrdersOne = await PrivateMariaDb.StartNewAsync("xashop-orders1");
        OrdersTwo = await PrivateMariaDb.StartNewAsync("xashop-orders2");
    }

    public async Task DisposeAsync()
    {
        await OrdersTwo.DisposeAsync();
        await OrdersOne.DisposeAsync();
        await Redis.DisposeAsync();
        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
    }

    /// <summary>Starts a Shop instance with the order shards on the two MariaDB servers, as coordinator node <paramref name="node"/>.</summary>
    internal Task<ShopInstance> StartShopAsync(string node) =>
        ShopInstance.StartAsync(["--services", "--orderShards=mariadb", $"--node={node}"], new Dictionary<string, string>
        {
            ["DATAPATTERNS_PG_PRIMARY"] = Primary.ConnectionString,
            ["DATAPATTERNS_PG_REPLICA"] = Replica.ConnectionString,
            ["DATAPATTERNS_PG_NODE2"] = Primary.ConnectionString,
            ["DATAPATTERNS_PG_NODE3"] = Primary.ConnectionString,
            ["DATAPATTERNS_REDIS"] = Redis.ConnectionString,
            ["DATAPATTERNS_MARIADB_PRIMARY"] = OrdersOne.ConnectionString,
            ["DATAPATTERNS_MARIADB_NODE2"] = OrdersTwo.ConnectionString,
        });

    /// <summary>The order ids of every payment (PostgreSQL).</summary>
    public async Task<HashSet<string>> PaymentsAsync()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(ShopDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT order_id::text FROM payments", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>The order ids of the orders on one shard (MariaDB).</summary>
    public static async Task<HashSet<string>> OrdersAsync(PrivateMariaDb shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = new MySqlConnection(new MySqlConnectionStringBuilder(shard.ConnectionString) { Database = "shop", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT `order_id` FROM `orders`", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            // MySqlConnector reads a CHAR(36) column as a Guid; its text is the form PostgreSQL prints a uuid in.
            ids.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return ids;
    }

    /// <summary>Prepared transactions in PostgreSQL plus prepared XA branches on both MariaDB servers (all of them: the servers are ours).</summary>
    public async Task<(long Postgres, long MariaDb)> PreparedAsync()
    {
        await using var connection = new NpgsqlConnection(ShopDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_xacts", connection);
        var postgres = (long)(await command.ExecuteScalarAsync())!;
        return (postgres, await XaRecoverAsync(OrdersOne) + await XaRecoverAsync(OrdersTwo));
    }

    /// <summary>What <c>XA RECOVER</c> lists, as text, for failure messages.</summary>
    public async Task<string> DescribePreparedAsync()
    {
        var text = new StringBuilder();
        foreach (var shard in new[] { OrdersOne, OrdersTwo })
        {
            await using var connection = await ServerConnections.OpenMariaDbAsync(shard.Server);
            await using var command = new MySqlCommand("XA RECOVER", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                text.Append(shard.Name).Append(": ").AppendLine(Encoding.Latin1.GetString((byte[])reader.GetValue(3)));
            }
        }

        return text.ToString();
    }

    private static async Task<long> XaRecoverAsync(PrivateMariaDb shard)
    {
        await using var connection = await ServerConnections.OpenMariaDbAsync(shard.Server);
        await using var command = new MySqlCommand("XA RECOVER", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var count = 0L;
        while (await reader.ReadAsync())
        {
            count++;
        }

        return count;
    }
}
