using System.Globalization;
using DataPatterns.Samples.Shop.Postgres;
using DataPatterns.Samples.Shop.Postgres.Budget;
using MySqlConnector;

namespace DataPatterns.Samples.Shop.MariaDb;

/// <summary>
/// The order shards on MariaDB (<c>--services --orderShards=mariadb</c>): "orders-1" on the MariaDB primary
/// (<c>DATAPATTERNS_MARIADB_PRIMARY</c>) and "orders-2" on MariaDB node2 (<c>DATAPATTERNS_MARIADB_NODE2</c>), each in a
/// database named <see cref="ShopServers.Database"/>; payments, the catalogue, carts and events stay on PostgreSQL. Each
/// order then commits in one two-phase commit across the two engines, with the commit decisions in the payments database
/// and this instance's <see cref="NodeId"/> (<c>--node</c>) in every global id.
/// </summary>
public sealed class MariaDbOrders
{
    /// <summary>The setting that picks the order shards' engine (<c>--orderShards</c>).</summary>
    public const string Setting = "orderShards";

    /// <summary>The same setting as an environment variable.</summary>
    public const string EnvironmentSetting = "DATAPATTERNS_SHOP_ORDER_SHARDS";

    private MariaDbOrders(string ordersOne, string ordersTwo, string nodeId)
    {
        OrdersOne = ordersOne;
        OrdersTwo = ordersTwo;
        NodeId = nodeId;
    }

    /// <summary>Order shard "orders-1" (the MariaDB primary).</summary>
    public string OrdersOne { get; }

    /// <summary>Order shard "orders-2" (MariaDB node2).</summary>
    public string OrdersTwo { get; }

    /// <summary>This instance's coordinator node id (<c>--node</c>): unique among the instances, stable across its restarts.</summary>
    public string NodeId { get; }

    /// <summary>
    /// True when the order shards are to be on MariaDB: <c>--orderShards=mariadb</c> (or
    /// <c>DATAPATTERNS_SHOP_ORDER_SHARDS=mariadb</c>); false when unset or <c>postgres</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another value: the message lists the two that work.</exception>
    public static bool IsSelected(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[Setting] is { Length: > 0 } set ? set : configuration[EnvironmentSetting];
        return value?.ToLowerInvariant() switch
        {
            null or "" or "postgres" or "postgresql" => false,
            "mariadb" => true,
            _ => throw new InvalidOperationException($"--{Setting}={value} is not an engine the Shop knows: use --{Setting}=postgres (the default) or --{Setting}=mariadb."),
        };
    }

    /// <summary>
    /// The MariaDB order shards when <see cref="IsSelected"/>, else null; each shard's pool sized to this instance's share
    /// of the server's <c>max_connections</c> (asked at start) as <paramref name="budget"/> says.
    /// </summary>
    /// <exception cref="InvalidOperationException">A server setting or <c>--node</c> is missing: the message says which and how to set it.</exception>
    public static async Task<MariaDbOrders?> FromConfigurationAsync(IConfiguration configuration, ConnectionBudgetOptions budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(budget);
        if (!IsSelected(configuration))
        {
            return null;
        }

        string Require(string name, string how) => configuration[name] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"--{Setting}=mariadb needs {name}: {how}");
        const string Servers = "start the servers with eng/services.sh up and run eval \"$(eng/services.sh env)\" first.";
        var nodeId = Require("node", "give every instance an id of its own that its restart reuses (--node=a), 1 to 64 of A-Z a-z 0-9 _ - .; it is part of every global transaction id.");
        return new MariaDbOrders(
            await SizedAsync(Require("DATAPATTERNS_MARIADB_PRIMARY", Servers), budget, cancellationToken),
            await SizedAsync(Require("DATAPATTERNS_MARIADB_NODE2", Servers), budget, cancellationToken),
            nodeId);
    }

    /// <summary>The connection string in the Shop's database, its pool this instance's share of the server.</summary>
    private static async Task<string> SizedAsync(string connectionString, ConnectionBudgetOptions budget, CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString) { Database = ShopServers.Database };
        var max = await MaxConnectionsAsync(builder, cancellationToken) ?? budget.AssumedMaxConnections;
        builder.MaximumPoolSize = (uint)(budget.MaxPoolSize > 0 ? budget.MaxPoolSize : Math.Max(2, (max - budget.Reserved) / budget.Instances));
        return builder.ConnectionString;
    }

    private static async Task<int?> MaxConnectionsAsync(MySqlConnectionStringBuilder settings, CancellationToken cancellationToken)
    {
        // Without the Shop's database, which may not exist yet, and outside the pool the Shop will use.
        var admin = new MySqlConnectionStringBuilder(settings.ConnectionString) { Database = string.Empty, Pooling = false, ConnectionTimeout = 5 };
        try
        {
            await using var connection = new MySqlConnection(admin.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand("SELECT @@max_connections", connection);
            return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is MySqlException or TimeoutException)
        {
            return null;
        }
    }
}
