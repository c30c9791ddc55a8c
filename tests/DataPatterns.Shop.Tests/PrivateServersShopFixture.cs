using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Shop.Tests;

/// <summary>
/// The Shop with <c>--services</c> on servers of its own (a PostgreSQL primary with a streaming replica, which also holds
/// both order shards, and a Redis), so that a test may break or stop them: the shared servers are never touched.
/// </summary>
public sealed class PrivateServersShopFixture : IAsyncLifetime
{
    private ShopInstance? _shop;

    /// <summary>The primary: catalogue, carts, payments, the decision log and both order shards.</summary>
    public PrivatePostgres Primary { get; private set; } = null!;

    /// <summary>The primary's streaming replica (the Shop's reads).</summary>
    public PrivatePostgres Replica { get; private set; } = null!;

    /// <summary>The Redis of the caches.</summary>
    public PrivateRedis Redis { get; private set; } = null!;

    /// <summary>The running Shop.</summary>
    internal ShopInstance Shop => _shop ?? throw new InvalidOperationException("The Shop has not started.");

    /// <summary>The Shop's database on the primary.</summary>
    public string ShopDatabase => new NpgsqlConnectionStringBuilder(Primary.ConnectionString) { Database = "shop", Pooling = false }.ConnectionString;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Primary = await PrivatePostgres.StartNewAsync("shop-primary");
        Replica = await Primary.StartReplicaAsync("shop-replica");
        Redis = await PrivateRedis.StartNewAsync();
        _shop = await ShopInstance.StartAsync(["--services", "--node=tests"], new Dictionary<string, string>
        {
            ["DATAPATTERNS_PG_PRIMARY"] = Primary.ConnectionString,
            ["DATAPATTERNS_PG_REPLICA"] = Replica.ConnectionString,
            ["DATAPATTERNS_PG_NODE2"] = Primary.ConnectionString,
            ["DATAPATTERNS_PG_NODE3"] = Primary.ConnectionString,
            ["DATAPATTERNS_REDIS"] = Redis.ConnectionString,
        });
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_shop is not null)
        {
            await _shop.DisposeAsync();
        }

        await Redis.DisposeAsync();
        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
    }

    /// <summary>Runs <paramref name="sql"/> in the Shop's database on the primary.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ShopDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
