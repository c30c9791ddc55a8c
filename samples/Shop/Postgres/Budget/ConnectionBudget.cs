using Npgsql;

namespace DataPatterns.Samples.Shop.Postgres.Budget;

/// <summary>
/// Sizes the Shop's pools from each server's <c>max_connections</c>: an instance's share of a server,
/// (max_connections − reserved) / instances, is split among the pools it opens there by weight. The primary carries four
/// pools (the router's, the payments branch of the two-phase commit, the decision log, CQRS's events and read models);
/// the replica and each order shard one.
/// </summary>
public static class ConnectionBudget
{
    /// <summary>The router's pool on the primary: catalogue and cart writes, reads after a write, cart flushes.</summary>
    public const string Routing = "routing";

    /// <summary>The payments branch of each order (with its outbox event and the decision row).</summary>
    public const string Payments = "payments";

    /// <summary>The decision log, read by recovery (the decision row itself rides in the payments branch).</summary>
    public const string Decisions = "decisions";

    /// <summary>CQRS: the projection runner, its LISTEN connection and the read models.</summary>
    public const string Events = "events";

    /// <summary>The only pool on the replica and on each order shard.</summary>
    public const string Whole = "all";

    // A pool smaller than this cannot serve a request while recovery or the projection holds a connection.
    private const int MinimumPool = 2;

    private static readonly (string Name, int Weight)[] PrimaryPools = [(Routing, 3), (Payments, 3), (Decisions, 1), (Events, 1)];
    private static readonly (string Name, int Weight)[] SinglePool = [(Whole, 1)];

    /// <summary>Asks every server its <c>max_connections</c> and sizes the pools; a server that does not answer is sized from the assumed value.</summary>
    public static async Task<IReadOnlyList<ServerBudget>> PlanAsync(ShopServers servers, ConnectionBudgetOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(options);
        var planned = new List<ServerBudget>();
        foreach (var (name, connectionString, pools) in new[]
                 {
                     ("primary", servers.Primary, PrimaryPools), ("replica", servers.Replica, SinglePool),
                     ("node2", servers.OrdersOne, SinglePool), ("node3", servers.OrdersTwo, SinglePool),
                 })
        {
            var max = await MaxConnectionsAsync(connectionString, cancellationToken);
            planned.Add(Plan(name, max ?? options.AssumedMaxConnections, max is not null, pools, options));
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
