using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>A multi-host connection string, as given to Npgsql's multi-host data source, becomes one node per host.</summary>
public sealed class MultiHostTests
{
    [Fact]
    public void Hosts_with_and_without_ports_become_named_nodes_with_role_Any()
    {
        var options = new ReadWriteRouterOptions().AddNodesFromMultiHost(
            "Host=db1,db2:6432,[::1]:7432;Port=5433;Username=app;Database=shop;Target Session Attributes=primary;Load Balance Hosts=true");
        Assert.Equal(["db1:5433", "db2:6432", "::1:7432"], options.Nodes.Select(n => n.Name));
        Assert.All(options.Nodes, n => Assert.Equal(NodeRole.Any, n.ExpectedRole));
        var second = new NpgsqlConnectionStringBuilder(options.Nodes[1].ConnectionString);
        Assert.Equal("db2", second.Host);
        Assert.Equal(6432, second.Port);
        Assert.Equal("shop", second.Database);
        Assert.False(second.LoadBalanceHosts);
        Assert.Null(second.TargetSessionAttributes);
    }

    [Fact]
    public void A_string_without_a_host_is_refused_with_the_fix()
    {
        var error = Assert.Throws<ArgumentException>(() => new ReadWriteRouterOptions().AddNodesFromMultiHost("Username=app"));
        Assert.Contains("Host=db1:5432,db2:5432", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseNpgsql_keeps_a_probe_the_application_set()
    {
        var probe = new ProbeThatIsNotNpgsql();
        var options = new ReadWriteRouterOptions { Probe = probe }.UseNpgsql();
        Assert.Same(probe, options.Probe);
        Assert.Same(NpgsqlFactory.Instance, options.ProviderFactory);
    }

    private sealed class ProbeThatIsNotNpgsql : IRoutingProbe
    {
        public ValueTask<NodeProbeResult> ProbeAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken) => default;

        public ValueTask<ConsistencyToken> GetWritePositionAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken) => default;

        public ValueTask<ConsistencyToken> GetReplayPositionAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken) => default;
    }
}
