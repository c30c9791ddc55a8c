using DataPatterns.Samples.Shop.Postgres.Budget;
using DataPatterns.Testing;
using FsCheck;
using FsCheck.Xunit;
using Npgsql;

namespace DataPatterns.Shop.Tests;

/// <summary>
/// The Shop's pools fit each server's connection budget: instances × (the pools on a server) ≤ max_connections − reserved,
/// and a configuration that cannot fit is reported at start with the server's real max_connections.
/// </summary>
public sealed class ConnectionBudgetTests
{
    private static readonly (string Name, int Weight)[] PrimaryPools =
        [(ConnectionBudget.Routing, 3), (ConnectionBudget.Payments, 3), (ConnectionBudget.Events, 1)];

    [Property(MaxTest = 500)]
    public bool Derived_pools_of_every_instance_together_stay_within_max_connections_minus_reserved(PositiveInt max, NonNegativeInt reserved, PositiveInt instances)
    {
        var options = new ConnectionBudgetOptions { Instances = instances.Get % 64 + 1, Reserved = reserved.Get % 200 };
        var maxConnections = max.Get % 5000 + 1;
        var budget = ConnectionBudget.Plan("primary", maxConnections, asked: true, PrimaryPools, options);

        // Every pool keeps two connections at least; only a budget too small for that may be exceeded, and is then reported.
        var roomForMinimum = (maxConnections - options.Reserved) / options.Instances >= 2 * PrimaryPools.Length * 4;
        return budget.Pools.All(p => p.Size >= 2) && (!roomForMinimum || (!budget.Exceeds && budget.ClusterTotal <= maxConnections - options.Reserved));
    }

    [Fact]
    public void Two_instances_on_the_shared_servers_split_the_primarys_180_connections_by_weight()
    {
        var options = new ConnectionBudgetOptions { Instances = 2, Reserved = 20 };

        var primary = ConnectionBudget.Plan("primary", 200, asked: true, PrimaryPools, options);
        var replica = ConnectionBudget.Plan("replica", 200, asked: true, [(ConnectionBudget.Replica, 3)], options);

        Assert.Equal([38, 38, 12], primary.Pools.Select(p => p.Size));
        Assert.Equal(176, primary.ClusterTotal);
        Assert.False(primary.Exceeds);
        Assert.Equal(90, replica.SizeOf(ConnectionBudget.Replica));
        Assert.Equal(180, replica.ClusterTotal);
    }

    [Fact]
    public void A_fixed_pool_size_that_two_instances_cannot_fit_is_reported_as_exceeding()
    {
        var options = new ConnectionBudgetOptions { Instances = 2, Reserved = 20, MaxPoolSize = 100 };

        var primary = ConnectionBudget.Plan("primary", 200, asked: true, PrimaryPools, options);

        Assert.True(primary.Exceeds);
        Assert.Equal(600, primary.ClusterTotal);
        Assert.Equal(180, primary.ClusterBudget);
    }

    [Theory]
    [InlineData("Instances=0", "Shop:Connections:Instances is 0")]
    [InlineData("Reserved=-1", "Shop:Connections:Reserved is -1")]
    [InlineData("MaxPoolSize=-5", "Shop:Connections:MaxPoolSize is -5")]
    public async Task A_wrong_budget_setting_stops_the_shop_with_a_message_naming_it(string setting, string message)
    {
        var (exitCode, transcript) = await ShopInstance.FailToStartAsync(["--services", "--node=budget", $"--Shop:Connections:{setting}",
            "--DATAPATTERNS_PG_PRIMARY=Host=127.0.0.1;Port=1", "--DATAPATTERNS_PG_REPLICA=Host=127.0.0.1;Port=1",
            "--DATAPATTERNS_PG_NODE2=Host=127.0.0.1;Port=1", "--DATAPATTERNS_PG_NODE3=Host=127.0.0.1;Port=1", "--DATAPATTERNS_REDIS=127.0.0.1:1"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shop_reads_the_servers_max_connections_at_start_and_warns_when_its_pools_can_exceed_it()
    {
        await using var postgres = await PrivatePostgres.StartNewAsync("shop-budget");
        await using var redis = await PrivateRedis.StartNewAsync();
        int maxConnections;
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var show = new NpgsqlCommand("SHOW max_connections", connection);
            maxConnections = int.Parse((string)(await show.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var shop = await ShopInstance.StartAsync(["--services", "--node=budget", "--Shop:Connections:Instances=3", "--Shop:Connections:MaxPoolSize=100"],
            new Dictionary<string, string>
            {
                ["DATAPATTERNS_PG_PRIMARY"] = postgres.ConnectionString,
                ["DATAPATTERNS_PG_REPLICA"] = postgres.ConnectionString,
                ["DATAPATTERNS_PG_NODE2"] = postgres.ConnectionString,
                ["DATAPATTERNS_PG_NODE3"] = postgres.ConnectionString,
                ["DATAPATTERNS_REDIS"] = redis.ConnectionString,
            });

        // Every role on one server shares its budget: six pools of 100, three instances, 1,800 connections.
        Assert.Contains($"Connection budget of primary+replica+node2+node3 EXCEEDED: the pools of 3 Shop instance(s) can open 1800 connections, more than max_connections {maxConnections} - 20 reserved", shop.Transcript, StringComparison.Ordinal);
    }
}
