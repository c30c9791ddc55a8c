using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>Which Galera nodes take traffic: Synced ones in the Primary component, never a desynced or a non-Galera node.</summary>
[Collection(SharedGaleraCluster.Name)]
public sealed class GaleraHealthTests
{
    [Fact]
    public async Task All_three_synced_nodes_are_writable_and_take_reads_and_writes()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("health");
        var nodes = cluster.Router.GetNodes();

        Assert.Equal(3, nodes.Count);
        Assert.All(nodes, n =>
        {
            Assert.Equal(NodeRole.Primary, n.Role);
            Assert.True(n.IsHealthy);
            Assert.False(n.IsDemoted);
            Assert.True(n.LogPosition.Position > 0, "the position is the node's wsrep_last_committed");
        });
        Assert.Equal(TestServers.Galera.Select(GaleraTestCluster.PortOf).Order(), await PortsUsedAsync(cluster.Router, RoutingIntent.Write, 9));
        Assert.Equal(TestServers.Galera.Select(GaleraTestCluster.PortOf).Order(), await PortsUsedAsync(cluster.Router, RoutingIntent.Read, 9));
    }

    [Fact]
    public async Task A_desynced_node_takes_no_traffic_until_it_is_synced_again()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("desync");
        var galera2 = TestServers.Galera[1];
        try
        {
            await ServerConnections.ScalarAsync(galera2, "SET GLOBAL wsrep_desync = ON");
            Assert.Equal("Donor/Desynced", await StateOfAsync(galera2));
            await cluster.Router.ProbeAsync();

            var state = cluster.Router.GetNodes().Single(n => n.Name == galera2.Name);
            Assert.False(state.IsHealthy);
            Assert.DoesNotContain(GaleraTestCluster.PortOf(galera2), await PortsUsedAsync(cluster.Router, RoutingIntent.Write, 12));
            Assert.DoesNotContain(GaleraTestCluster.PortOf(galera2), await PortsUsedAsync(cluster.Router, RoutingIntent.Read, 12));
        }
        finally
        {
            await ServerConnections.ScalarAsync(galera2, "SET GLOBAL wsrep_desync = OFF");
            await GaleraNodeLossTests.WaitUntilSyncedAsync(galera2, TimeSpan.FromSeconds(60));
        }

        await cluster.Router.ProbeAsync();
        Assert.True(cluster.Router.GetNodes().Single(n => n.Name == galera2.Name).IsHealthy);
        Assert.Contains(GaleraTestCluster.PortOf(galera2), await PortsUsedAsync(cluster.Router, RoutingIntent.Write, 9));
    }

    [Fact]
    public async Task The_probe_refuses_a_plain_MariaDB_node_with_a_message_naming_the_fix()
    {
        await using var connection = await ServerConnections.OpenMariaDbAsync(TestServers.MariaDbNode2);

        var refused = await Assert.ThrowsAsync<GaleraNodeUnavailableException>(async () => await GaleraRoutingProbe.Instance.ProbeAsync(connection, default));

        Assert.False(refused.IsGaleraNode);
        Assert.False(refused.IsTransient);
        Assert.Contains("not a Galera cluster member", refused.Message, StringComparison.Ordinal);
        Assert.Contains("UseMySql()", refused.Message, StringComparison.Ordinal);
        Assert.Contains(GaleraTestCluster.PortOf(TestServers.MariaDbNode2).ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_router_with_a_plain_MariaDB_node_never_sends_it_traffic()
    {
        await using var galera = new MySqlDataSource(TestServers.Galera[0].ConnectionString);
        await using var plain = new MySqlDataSource(TestServers.MariaDbNode2.ConnectionString);
        var options = new ReadWriteRouterOptions().AddNode("galera1", galera).AddNode("plain", plain).UseGalera();
        await using var router = new ReadWriteRouter("mixed", options);
        await router.WaitUntilReadyAsync();

        Assert.False(router.GetNodes().Single(n => n.Name == "plain").IsHealthy);
        Assert.Equal([GaleraTestCluster.PortOf(TestServers.Galera[0])], await PortsUsedAsync(router, RoutingIntent.Write, 6));
    }

    [Fact]
    public void Status_values_that_are_not_Galera_s_are_refused_with_a_message()
    {
        var values = new Dictionary<string, string>
        {
            ["wsrep_on"] = "ON", ["wsrep_ready"] = "ON", ["wsrep_local_state"] = "four",
            ["wsrep_cluster_status"] = "Primary", ["wsrep_last_committed"] = "12",
        };
        var error = Assert.Throws<InvalidOperationException>(() => GaleraNodeStatus.Parse(values));
        Assert.Contains("'four' for wsrep_local_state", error.Message, StringComparison.Ordinal);

        values["wsrep_local_state"] = "4";
        values["wsrep_ready"] = "MAYBE";
        Assert.Contains("ON or OFF", Assert.Throws<InvalidOperationException>(() => GaleraNodeStatus.Parse(values)).Message, StringComparison.Ordinal);

        values["wsrep_ready"] = "ON";
        values["wsrep_cluster_status"] = "non-Primary";
        var split = GaleraNodeStatus.Parse(values);
        Assert.False(split.IsServing);
        Assert.Contains("lost quorum", split.WhyNotServing(), StringComparison.Ordinal);
    }

    internal static async Task<int[]> PortsUsedAsync(ReadWriteRouter router, RoutingIntent intent, int opens)
    {
        var ports = new HashSet<int>();
        for (var i = 0; i < opens; i++)
        {
            await using var connection = await router.OpenConnectionAsync(intent);
            ports.Add(await GaleraTestCluster.PortOfAsync(connection));
        }

        return [.. ports.Order()];
    }

    private static async Task<string?> StateOfAsync(TestServer server) =>
        (string?)await ServerConnections.ScalarAsync(server, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'");
}
