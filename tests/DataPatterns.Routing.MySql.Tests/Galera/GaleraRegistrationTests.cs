using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>One DI call: options validated at start, a non-Galera node refused at start, router and writer sharing one pool per node.</summary>
[Collection(SharedGaleraCluster.Name)]
public sealed class GaleraRegistrationTests
{
    [Fact]
    public async Task UseGalera_registers_a_router_and_a_writer_that_share_each_node_s_pool_without_session_reset()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(options =>
        {
            foreach (var node in TestServers.Galera)
            {
                options.AddNode(node.Name, node.ConnectionString);
            }
        }).UseGalera(galera => galera.MaxWriteAttempts = 5);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(default);
        }

        var router = provider.GetRequiredService<ReadWriteRouter>();
        var writer = provider.GetRequiredService<GaleraWriter>();
        await router.WaitUntilReadyAsync();
        Assert.Same(router, writer.Router);
        Assert.All(router.GetNodes(), n => Assert.Equal(NodeRole.Primary, n.Role));

        var nodes = provider.GetRequiredService<IOptionsMonitor<ReadWriteRouterOptions>>().Get(Options.DefaultName).Nodes;
        Assert.All(nodes, n =>
        {
            Assert.Null(n.ConnectionString);
            Assert.False(new MySqlConnectionStringBuilder(n.DataSource!.ConnectionString).ConnectionReset);
        });
        Assert.True(router.GetNodes().All(n => n.IsHealthy));
        Assert.False(router.ReadYourWrites);

        var node = writer.NodeFor("order:1");
        await using var connection = await writer.OpenConnectionAsync("order:1");
        Assert.Equal(GaleraTestCluster.PortOf(TestServers.Galera.Single(s => s.Name == node)), await GaleraTestCluster.PortOfAsync(connection));
        await using var causal = await router.OpenCausalReadConnectionAsync();
        Assert.Equal(System.Data.ConnectionState.Open, causal.State);
    }

    [Fact]
    public async Task A_plain_MariaDB_node_stops_the_host_at_start_with_a_message_naming_the_fix()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting("orders", options => options
            .AddNode("galera1", TestServers.Galera[0].ConnectionString)
            .AddNode("not-galera", TestServers.MariaDbNode2.ConnectionString)).UseGalera();
        await using var provider = services.BuildServiceProvider();

        var refused = await Assert.ThrowsAsync<GaleraNodeUnavailableException>(async () =>
        {
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StartAsync(default);
            }
        });

        Assert.Contains("'not-galera'", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'galera1'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("UseMySql()", refused.Message, StringComparison.Ordinal);
        Assert.Equal("orders", refused.RouterName);
    }

    [Fact]
    public async Task Invalid_Galera_settings_fail_at_start_listing_every_problem()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(options => options.AddNode("galera1", TestServers.Galera[0].ConnectionString))
            .UseGalera(galera =>
            {
                galera.MaxWriteAttempts = 0;
                galera.RetryDelay = TimeSpan.FromSeconds(-1);
                galera.CheckTimeout = TimeSpan.Zero;
            });
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(3, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("MaxWriteAttempts is 0; use 1 (no retry) to 100", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("RetryDelay", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("CheckTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_connection_string_MySqlConnector_refuses_fails_at_start_naming_the_node()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(options => options
            .AddNode("galera1", TestServers.Galera[0].ConnectionString)
            .AddNode("typo", "Server=127.0.0.1;Prot=53317")).UseGalera();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.Contains("node 'typo'", StringComparison.Ordinal));
    }
}
