using System.Globalization;
using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>A Galera node killed with SIGKILL, traffic on the others, the node back by IST and in rotation again.</summary>
[Collection(SharedGaleraCluster.Name)]
public sealed class GaleraNodeLossTests
{
    private const string Node = "galera3";

    [Fact]
    public async Task A_killed_node_gets_no_traffic_and_once_restarted_it_rejoins_by_IST_with_the_rows_written_meanwhile_and_takes_traffic_again()
    {
        var server = TestServers.Galera[2];
        var port = GaleraTestCluster.PortOf(server);
        var errorLog = Path.Combine(TestServers.MariaDbDirectory, Node + ".err");
        await using var cluster = await GaleraTestCluster.StartAsync("loss");
        var logBefore = new FileInfo(errorLog).Length;
        Assert.Contains(port, await GaleraHealthTests.PortsUsedAsync(cluster.Router, RoutingIntent.Write, 9));
        try
        {
            await SharedMariaDb.KillAsync(Node);

            // Writes and reads continue: an open that hits the dead node ejects it and goes to another node.
            for (var i = 2; i < 22; i++)
            {
                await using var connection = await cluster.Router.OpenConnectionAsync(RoutingIntent.Write);
                Assert.NotEqual(port, await GaleraTestCluster.PortOfAsync(connection));
                await using var insert = new MySqlCommand($"INSERT INTO `{cluster.Table}` VALUES ({i.ToString(CultureInfo.InvariantCulture)}, 0)", (MySqlConnection)connection);
                await insert.ExecuteNonQueryAsync();
            }

            Assert.False(cluster.Router.GetNodes().Single(n => n.Name == Node).IsHealthy);
            Assert.DoesNotContain(port, await GaleraHealthTests.PortsUsedAsync(cluster.Router, RoutingIntent.Read, 9));
            Assert.NotEqual(Node, cluster.Writer.NodeFor("any-key"));
        }
        finally
        {
            await SharedMariaDb.StartAsync(Node, server);
            await WaitUntilSyncedAsync(server, TimeSpan.FromSeconds(120));
        }

        // It caught up by incremental state transfer (not a full SST), with every row written while it was down.
        var log = await ReadFromAsync(errorLog, logBefore);
        Assert.Contains("IST received", log, StringComparison.Ordinal);
        Assert.Equal(21L, Convert.ToInt64(await ServerConnections.ScalarAsync(server, $"SELECT COUNT(*) FROM `{cluster.Table}`"), CultureInfo.InvariantCulture));

        await WaitUntilHealthyAsync(cluster.Router, Node, TimeSpan.FromSeconds(30));
        Assert.Contains(port, await GaleraHealthTests.PortsUsedAsync(cluster.Router, RoutingIntent.Write, 9));
        Assert.Contains(port, await GaleraHealthTests.PortsUsedAsync(cluster.Router, RoutingIntent.Read, 9));
    }

    /// <summary>Polls the node until it answers Synced (wsrep_local_state 4) in the Primary component.</summary>
    internal static async Task WaitUntilSyncedAsync(TestServer server, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var state = Convert.ToString(await ServerConnections.ScalarAsync(server, "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY VARIABLE_NAME) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE', 'WSREP_CLUSTER_STATUS')"), CultureInfo.InvariantCulture);
                if (state == "Primary,4")
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is ServerUnavailableException or MySqlException)
            {
                // Still starting or joining.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{server.Name} is not Synced after {timeout}; check {Path.Combine(TestServers.MariaDbDirectory, server.Name + ".err")}.");
            }

            await Task.Delay(250);
        }
    }

    private static async Task WaitUntilHealthyAsync(ReadWriteRouter router, string node, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!router.GetNodes().Single(n => n.Name == node).IsHealthy)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The router did not take '{node}' back within {timeout}.");
            await router.ProbeAsync();
            await Task.Delay(100);
        }
    }

    private static async Task<string> ReadFromAsync(string path, long offset)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Seek(Math.Min(offset, file.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(file);
        return await reader.ReadToEndAsync();
    }
}
