using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPatterns.Routing.Tests;

/// <summary>The router's health check: busy or partly broken is Degraded; only a router that cannot take writes fails.</summary>
public sealed class RouterHealthCheckTests
{
    [Fact]
    public async Task Every_node_in_rotation_is_healthy_and_the_data_names_each_role()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();

        var result = await CheckAsync(cluster);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("Primary", result.Data["node.primary.role"]);
        Assert.Equal("Replica", result.Data["node.replica-1.role"]);
        Assert.Equal("healthy", result.Data["node.replica-2.state"]);
    }

    [Fact]
    public async Task A_replica_that_refused_a_connection_makes_the_router_degraded_not_unhealthy()
    {
        await using var cluster = new FakeCluster();
        await cluster.Router.WaitUntilReadyAsync();
        cluster["replica-1"].Down = true;
        await cluster.Router.ProbeAsync();

        var result = await CheckAsync(cluster);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("ejected", result.Data["node.replica-1.state"]);
        Assert.Contains("node 'replica-1' is ejected", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nodes_whose_probes_time_out_while_queries_succeed_are_slow_and_the_router_stays_degraded()
    {
        await using var cluster = new FakeCluster(o => o.ProbeTimeout = TimeSpan.FromSeconds(2));
        await cluster.Router.WaitUntilReadyAsync();
        foreach (var node in cluster.Nodes)
        {
            node.ProbeHangs = true;
        }

        for (var i = 0; i < 4; i++)
        {
            await cluster.ReadAsync();
            await cluster.ReadAsync(RoutingIntent.Write);
        }

        var probe = cluster.Router.ProbeAsync();
        cluster.Time.Advance(TimeSpan.FromSeconds(2));
        await probe.WaitAsync(TimeSpan.FromSeconds(10));

        var result = await CheckAsync(cluster);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("slow", result.Data["node.primary.state"]);
    }

    [Theory]
    [InlineData(null, HealthStatus.Unhealthy)]
    [InlineData(HealthStatus.Degraded, HealthStatus.Degraded)]
    public async Task A_router_whose_only_primary_refuses_connections_reports_the_failure_status(HealthStatus? failureStatus, HealthStatus expected)
    {
        await using var cluster = new FakeCluster(nodes: [FakeNode.Primary("p"), FakeNode.Replica("r")]);
        await cluster.Router.WaitUntilReadyAsync();
        cluster["p"].Down = true;
        await cluster.Router.ProbeAsync();

        var result = await CheckAsync(cluster, failureStatus);

        Assert.Equal(expected, result.Status);
        Assert.Contains("no node can take writes", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Before_the_first_probes_finish_the_router_is_degraded()
    {
        FakeNode[] nodes = [FakeNode.Primary("p"), FakeNode.Replica("r")];
        foreach (var node in nodes)
        {
            node.ProbeHangs = true;
        }

        await using var cluster = new FakeCluster(o => o.ProbeTimeout = TimeSpan.FromSeconds(2), nodes: nodes);

        var result = await CheckAsync(cluster);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("first probes", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_check_registered_in_one_call_finds_a_named_router_and_carries_its_tags()
    {
        var nodes = new[] { FakeNode.Primary("p"), FakeNode.Replica("r") };
        var probe = new FakeProbe();
        var services = new ServiceCollection();
        // HealthCheckService itself needs a logger; the router does not.
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
        services.AddReadWriteSplitting("orders", o =>
        {
            o.Probe = probe;
            o.FailureClassifier = new FakeClassifier();
            foreach (var node in nodes)
            {
                o.AddNode(node.Name, node);
            }
        });
        services.AddHealthChecks().AddReadWriteRouterCheck("orders", "orders-db", tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredKeyedService<ReadWriteRouter>("orders").WaitUntilReadyAsync();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));

        var entry = Assert.Single(report.Entries);
        Assert.Equal("orders-db", entry.Key);
        Assert.Equal(HealthStatus.Healthy, entry.Value.Status);
        Assert.Equal("orders", entry.Value.Data["router"]);
    }

    private static Task<HealthCheckResult> CheckAsync(FakeCluster cluster, HealthStatus? failureStatus = null)
    {
        var check = new ReadWriteRouterHealthCheck(cluster.Router);
        var registration = new HealthCheckRegistration("router", check, failureStatus, tags: null);
        return check.CheckHealthAsync(new HealthCheckContext { Registration = registration });
    }
}
