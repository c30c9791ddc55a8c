using System.Globalization;
using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>
/// Causal reads: a read on any node sees what was committed on another node before it began. The node that reads is
/// made to fall behind for real by pausing its replication (FLUSH TABLES WITH READ LOCK desyncs it and stops its applier).
/// </summary>
[Collection(SharedGaleraCluster.Name)]
public sealed class GaleraCausalReadTests
{
    [Fact]
    public async Task A_causal_read_waits_until_its_node_has_applied_a_write_committed_on_another_node()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("causal-wait");
        var (lagging, reader) = (await OpenAsync(1), await GaleraTestCluster.OpenUnpooledAsync(TestServers.Galera[1]));
        await using (lagging)
        await using (reader)
        {
            await ExecuteAsync(lagging, "FLUSH TABLES WITH READ LOCK");
            try
            {
                await ServerConnections.ScalarAsync(TestServers.Galera[0], $"UPDATE `{cluster.Table}` SET v = 5 WHERE id = 1");
                Assert.Equal(0, await ValueAsync(reader, cluster.Table));

                var sync = GaleraCausalReads.SyncAsync(reader).AsTask();
                await Task.Delay(500);
                Assert.False(sync.IsCompleted, $"the causal read waits while its node has not applied the write ({sync.Exception})");

                await ExecuteAsync(lagging, "UNLOCK TABLES");
                await sync;
                Assert.Equal(5, await ValueAsync(reader, cluster.Table));
                Assert.Equal(0L, Convert.ToInt64(await ScalarAsync(reader, "SELECT @@session.wsrep_sync_wait"), CultureInfo.InvariantCulture));
            }
            finally
            {
                await ExecuteAsync(lagging, "UNLOCK TABLES");
                await GaleraNodeLossTests.WaitUntilSyncedAsync(TestServers.Galera[1], TimeSpan.FromSeconds(60));
            }
        }
    }

    [Fact]
    public async Task A_session_reads_without_waiting_until_it_writes_and_causally_after()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("causal-session");

        // A router over the node that will lag only, probed once, so it keeps routing there while the node is paused.
        await using var node = new MySqlDataSource(new MySqlConnectionStringBuilder(TestServers.Galera[1].ConnectionString) { ConnectionReset = false }.ConnectionString);
        var options = new ReadWriteRouterOptions { ProbeInterval = TimeSpan.FromMinutes(5) }.AddNode("galera2", node).UseGalera();
        await using var router = new ReadWriteRouter("causal-session", options);
        await router.WaitUntilReadyAsync();
        var session = router.CreateSession();

        await using var lagging = await OpenAsync(1);
        await ExecuteAsync(lagging, "FLUSH TABLES WITH READ LOCK");
        try
        {
            await ServerConnections.ScalarAsync(TestServers.Galera[0], $"UPDATE `{cluster.Table}` SET v = 7 WHERE id = 1");
            await using (var before = await session.OpenCausalReadConnectionAsync())
            {
                Assert.Equal(0, await ValueAsync(before, cluster.Table));
            }

            session.MarkWritten();
            var after = session.OpenCausalReadConnectionAsync().AsTask();
            await Task.Delay(500);
            Assert.False(after.IsCompleted, $"after a write the session read waits for the node to catch up ({after.Exception})");

            await ExecuteAsync(lagging, "UNLOCK TABLES");
            await using var read = await after;
            Assert.Equal(7, await ValueAsync(read, cluster.Table));
        }
        finally
        {
            await ExecuteAsync(lagging, "UNLOCK TABLES");
            await GaleraNodeLossTests.WaitUntilSyncedAsync(TestServers.Galera[1], TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public async Task Routed_causal_reads_see_every_write_just_committed_on_any_node()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("causal");
        for (var i = 1; i <= 30; i++)
        {
            await ServerConnections.ScalarAsync(TestServers.Galera[i % 3], $"UPDATE `{cluster.Table}` SET v = {i.ToString(CultureInfo.InvariantCulture)} WHERE id = 1");
            await using var read = await cluster.Router.OpenCausalReadConnectionAsync();
            Assert.Equal(i, await ValueAsync(read, cluster.Table));
        }
    }

    [Fact]
    public async Task Galera_ignores_wsrep_sync_wait_on_a_reset_session_so_a_causal_read_refuses_a_pool_that_resets()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("causal-reset");
        await using var lagging = await OpenAsync(1);
        await using var reset = await GaleraTestCluster.OpenUnpooledAsync(TestServers.Galera[1]);
        await reset.ResetConnectionAsync();
        await ExecuteAsync(lagging, "FLUSH TABLES WITH READ LOCK");
        try
        {
            // The server's behaviour this guard exists for: after COM_RESET_CONNECTION the causal wait does not wait.
            await ServerConnections.ScalarAsync(TestServers.Galera[0], $"UPDATE `{cluster.Table}` SET v = 3 WHERE id = 1");
            await ExecuteAsync(reset, "SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1");
            Assert.Equal(0, await ValueAsync(reset, cluster.Table));
        }
        finally
        {
            await ExecuteAsync(lagging, "UNLOCK TABLES");
            await GaleraNodeLossTests.WaitUntilSyncedAsync(TestServers.Galera[1], TimeSpan.FromSeconds(60));
        }

        await using var pooled = await OpenAsync(1);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(async () => await GaleraCausalReads.SyncAsync(pooled));
        Assert.Contains("Connection Reset=false", refused.Message, StringComparison.Ordinal);

        var options = new ReadWriteRouterOptions().AddNode("galera1", TestServers.Galera[0].ConnectionString).UseGalera();
        Assert.False(new MySqlConnectionStringBuilder(options.Nodes[0].ConnectionString!).ConnectionReset);
        var explicitReset = new ReadWriteRouterOptions().AddNode("galera1", TestServers.Galera[0].ConnectionString + ";Connection Reset=true").UseGalera();
        Assert.True(new MySqlConnectionStringBuilder(explicitReset.Nodes[0].ConnectionString!).ConnectionReset);
    }

    [Fact]
    public async Task Syncing_a_closed_connection_says_to_open_it()
    {
        await using var connection = new MySqlConnection(TestServers.Galera[0].ConnectionString);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await GaleraCausalReads.SyncAsync(connection));
        Assert.Contains("open it", error.Message, StringComparison.Ordinal);
    }

    private static Task<MySqlConnection> OpenAsync(int node) => ServerConnections.OpenMariaDbAsync(TestServers.Galera[node]);

    private static async Task<int> ValueAsync(System.Data.Common.DbConnection connection, string table) =>
        Convert.ToInt32(await ScalarAsync(connection, $"SELECT v FROM `{table}` WHERE id = 1"), CultureInfo.InvariantCulture);

    private static async Task<object?> ScalarAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql) => await ScalarAsync(connection, sql);
}
