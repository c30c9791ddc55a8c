using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>Each connection lands where the intent and the policy say: the answering server reports its port.</summary>
public sealed class ServerSelectionTests
{
    private static readonly int PrimaryPort = Sql.PortOf(TestServers.Primary.ConnectionString);
    private static readonly int ReplicaPort = Sql.PortOf(TestServers.Replica.ConnectionString);

    [Fact]
    public async Task Writes_are_answered_by_the_primary_and_reads_by_the_replica()
    {
        await using var router = new ReadWriteRouter("selection", Sql.Options(TestServers.Primary.ConnectionString, TestServers.Replica.ConnectionString));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(PrimaryPort, await Sql.PortOfAsync(router.Primary));
            Assert.Equal(ReplicaPort, await Sql.PortOfAsync(router.Replica));
        }

        var nodes = router.GetNodes();
        Assert.Equal(NodeRole.Primary, nodes.Single(n => n.Name == "primary").Role);
        Assert.Equal(NodeRole.Replica, nodes.Single(n => n.Name == "replica").Role);
    }

    [Fact]
    public async Task Roles_are_found_by_probing_whatever_order_the_nodes_are_listed_in()
    {
        var options = new ReadWriteRouterOptions()
            .AddNode("first", TestServers.Replica.ConnectionString)
            .AddNode("second", TestServers.Primary.ConnectionString)
            .UseNpgsql();
        await using var router = new ReadWriteRouter("order", options);
        Assert.Equal(PrimaryPort, await Sql.PortOfAsync(router.Primary));
        Assert.Equal(ReplicaPort, await Sql.PortOfAsync(router.Replica));
    }

    [Fact]
    public async Task A_multi_host_connection_string_becomes_one_node_per_host()
    {
        var primary = new NpgsqlConnectionStringBuilder(TestServers.Primary.ConnectionString);
        var multiHost = new NpgsqlConnectionStringBuilder(TestServers.Primary.ConnectionString)
        {
            Host = $"{primary.Host}:{ReplicaPort},{primary.Host}:{PrimaryPort}",
            TargetSessionAttributes = "prefer-standby",
        };
        var options = new ReadWriteRouterOptions().AddNodesFromMultiHost(multiHost.ConnectionString).UseNpgsql();
        Assert.Equal([$"{primary.Host}:{ReplicaPort}", $"{primary.Host}:{PrimaryPort}"], options.Nodes.Select(n => n.Name));
        Assert.DoesNotContain("Target Session", options.Nodes[0].ConnectionString, StringComparison.OrdinalIgnoreCase);

        await using var router = new ReadWriteRouter("multi-host", options);
        Assert.Equal(PrimaryPort, await Sql.PortOfAsync(router.Primary));
        Assert.Equal(ReplicaPort, await Sql.PortOfAsync(router.Replica));
    }

    [Fact]
    public async Task A_replica_string_that_points_at_the_primary_is_demoted_and_never_read_from()
    {
        var options = new ReadWriteRouterOptions()
            .AddNode("primary", TestServers.Primary.ConnectionString, NodeRole.Primary)
            .AddNode("mistake", TestServers.Primary.ConnectionString, NodeRole.Replica)
            .AddNode("replica", TestServers.Replica.ConnectionString, NodeRole.Replica)
            .UseNpgsql();
        await using var router = new ReadWriteRouter("demotion", options);
        await router.WaitUntilReadyAsync();
        Assert.True(router.GetNodes().Single(n => n.Name == "mistake").IsDemoted);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(ReplicaPort, await Sql.PortOfAsync(router.Replica));
        }
    }

    [Fact]
    public async Task Active_active_spreads_writes_over_every_writable_node()
    {
        var options = new ReadWriteRouterOptions { ActiveActive = true }
            .AddNode("node2", TestServers.Node2.ConnectionString)
            .AddNode("node3", TestServers.Node3.ConnectionString)
            .UseNpgsql();
        await using var router = new ReadWriteRouter("active-active", options);
        var ports = new HashSet<int>();
        for (var i = 0; i < 4; i++)
        {
            ports.Add(await Sql.PortOfAsync(router.Primary));
        }

        Assert.Equal(new[] { Sql.PortOf(TestServers.Node2.ConnectionString), Sql.PortOf(TestServers.Node3.ConnectionString) }.Order(), ports.Order());
        // No replica: reads fall back to a primary.
        Assert.Contains(await Sql.PortOfAsync(router.Replica), ports);
    }

    [Fact]
    public async Task Registered_through_DI_a_request_scope_gets_a_session_on_the_right_router()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(o => o.AddNode("p", TestServers.Primary.ConnectionString).AddNode("r", TestServers.Replica.ConnectionString)).UseNpgsql();
        services.AddReadWriteSplitting("orders", o => o.AddNode("orders", TestServers.Node2.ConnectionString)).UseNpgsql();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();

        await using var scope = provider.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<RoutingSession>();
        Assert.Equal(PrimaryPort, await Sql.PortOfAsync(session.Writes));
        Assert.Equal(ReplicaPort, await Sql.PortOfAsync(provider.GetRequiredService<ReadWriteRouter>().Replica));
        var orders = scope.ServiceProvider.GetRequiredKeyedService<RoutingSession>("orders");
        Assert.Equal(Sql.PortOf(TestServers.Node2.ConnectionString), await Sql.PortOfAsync(orders.Writes));
    }

    [Fact]
    public async Task The_probe_reads_roles_and_positions_from_PostgreSQL()
    {
        await using var primary = await ServerConnections.OpenPostgresAsync(TestServers.Primary);
        await using var replica = await ServerConnections.OpenPostgresAsync(TestServers.Replica);
        var probe = NpgsqlRoutingProbe.Instance;

        var onPrimary = await probe.ProbeAsync(primary, CancellationToken.None);
        var onReplica = await probe.ProbeAsync(replica, CancellationToken.None);
        Assert.True(onPrimary.IsWritable);
        Assert.False(onReplica.IsWritable);
        Assert.False(onPrimary.LogPosition.IsNone);
        Assert.False(onReplica.LogPosition.IsNone);

        var written = await probe.GetWritePositionAsync(primary, CancellationToken.None);
        Assert.True(written >= onPrimary.LogPosition);
        var text = (string)(await Sql.ScalarAsync(primary, "SELECT pg_current_wal_insert_lsn()::text"))!;
        Assert.True(ConsistencyToken.Parse(text) >= written, "the token's text form is PostgreSQL's pg_lsn form");
        await Assert.ThrowsAsync<NoPrimaryAvailableException>(async () => await probe.GetWritePositionAsync(replica, CancellationToken.None));
    }
}
