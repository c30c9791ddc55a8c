using Npgsql;

namespace DataPatterns.Samples.Shop.Postgres.Budget;

/// <summary>
/// Sizes the Shop's pools from each server's <c>max_connections</c>: an instance's share of a server,
/// (max_connections − reserved) / instances, is split among the pools it opens there by weight. The primary carries three
/// pools (the router's, the payments branch of the two-phase commit, CQRS's events and read models);
/// the replica and each order shard one. Pool names are unique across servers.
/// </summary>
public static class ConnectionBudget
{
    /// <summary>The router's pool on the primary: catalogue and cart writes, reads after a write, cart flushes.</summary>
    public const string Routing = "routing";

    /// <summary>The payments branch of each order (with its outbox event), and recovery's look at payments.</summary>
    public const string Payments = "payments";

    /// <summary>CQRS: the projection runner, its LISTEN connection and the read models.</summary>
    public const string Events = "events";

    /// <summary>The replica's pool: catalogue pages, the order history, product loads.</summary>
    public const string Replica = "replica";

    /// <summary>Order shard orders-1 (node2): the order branch of the 2PC.</summary>
    public const string OrdersOne = "node2";

    /// <summary>Order shard orders-2 (node3).</summary>
    public const string OrdersTwo = "node3";

    // A pool smaller than this cannot serve a request while recovery or the projection holds a connection.
    private const int MinimumPool = 2;

    /// <summary>
    /// Asks every server its <c>max_connections</c> and sizes the pools; a server that does not answer is sized from the
    /// assumed value. Roles on one server (host and port), as in a test set-up, share that server's budget.
    /// </summary>
    public static async Task<IReadOnlyList<ServerBudget>> PlanAsync(ShopServers servers, ConnectionBudgetOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(options);
        (string Role, string ConnectionString, (string Name, int Weight)[] Pools)[] roles =
        [
            ("primary", servers.Primary, [(Routing, 3), (Payments, 3), (Events, 1)]),
            ("replica", servers.Replica, [(Replica, 3)]),
            ("node2", servers.OrdersOne, [(OrdersOne, 3)]),
            ("node3", servers.OrdersTwo, [(OrdersTwo, 3)]),
        ];
        var planned = new List<ServerBudget>();
        foreach (var server in roles.GroupBy(r => Endpoint(r.ConnectionString)))
        {
            var max = await MaxConnectionsAsync(server.First().ConnectionString, cancellationToken);
            planned.Add(Plan(string.Join("+", server.Select(r => r.Role)), max ?? options.AssumedMaxConnections, max is not null,
                [.. server.SelectMany(r => r.Pools)], options));
        }

        return planned;
    }

    /// <summary>Sizes one server's pools: each gets its weight's share of this instance's budget, at least two connections.</summary>
    public static ServerBudget Plan(string server, int maxConnections, bool asked, IReadOnlyList<(string Name, int Weight)> pools, ConnectionBudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(options);
        var perInstance = Math.Max(0, maxConnections - options.Reserved) / options.Instances;
        var weights = pools.Sum(p => p.Weight);
        var sizes = pools
            .Select(p => new PoolSize(p.Name, options.MaxPoolSize > 0 ? options.MaxPoolSize : Math.Max(MinimumPool, perInstance * p.Weight / weights)))
            .ToList();
        return new ServerBudget(server, maxConnections, asked, options.Reserved, options.Instances, sizes);
    }

    private static string Endpoint(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}";
    }

    private static async Task<int?> MaxConnectionsAsync(string connectionString, CancellationToken cancellationToken)
    {
        // Its own unpooled connection to the maintenance database: the Shop's database may not exist yet.
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false, Timeout = 5 };
        try
        {
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var show = new NpgsqlCommand("SHOW max_connections", connection);
            return int.Parse((string)(await show.ExecuteScalarAsync(cancellationToken))!, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or FormatException)
        {
            return null;
        }
    }
}
