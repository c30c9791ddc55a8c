using System.Globalization;
using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>Causal reads: a read on any node sees what was committed on another node before it began.</summary>
[Collection(SharedGaleraCluster.Name)]
public sealed class GaleraCausalReadTests
{
    [Fact]
    public async Task A_causal_read_sees_every_write_just_committed_on_another_node()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("causal");
        for (var i = 0; i < 30; i++)
        {
            var writer = TestServers.Galera[i % 3];
            await ServerConnections.ScalarAsync(writer, $"UPDATE `{cluster.Table}` SET v = {i.ToString(CultureInfo.InvariantCulture)} WHERE id = 1");

            await using var read = await cluster.Router.OpenCausalReadConnectionAsync();
            await using var command = new MySqlCommand($"SELECT v FROM `{cluster.Table}` WHERE id = 1", (MySqlConnection)read);
            Assert.Equal(i, Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task The_causal_wait_runs_on_the_server_and_leaves_the_session_s_wsrep_sync_wait_untouched()
    {
        await using var connection = await ServerConnections.OpenMariaDbAsync(TestServers.Galera[1]);
        var before = await CausalReadsCountAsync(connection);

        await GaleraCausalReads.SyncAsync(connection);

        Assert.True(await CausalReadsCountAsync(connection) > before, "the node counts the read it made wait for the cluster (wsrep_causal_reads)");
        await using var command = new MySqlCommand("SELECT @@session.wsrep_sync_wait", connection);
        Assert.Equal(0L, Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_session_reads_causally_only_after_it_wrote()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("session");
        var session = cluster.Router.CreateSession();
        var before = await ClusterCausalReadsAsync();
        for (var i = 0; i < 3; i++)
        {
            await using var plain = await session.OpenCausalReadConnectionAsync();
        }

        Assert.Equal(before, await ClusterCausalReadsAsync());

        await using (var write = await session.OpenWriteConnectionAsync())
        {
            await using var update = new MySqlCommand($"UPDATE `{cluster.Table}` SET v = 42 WHERE id = 1", (MySqlConnection)write);
            await update.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 6; i++)
        {
            await using var read = await session.OpenCausalReadConnectionAsync();
            await using var select = new MySqlCommand($"SELECT v FROM `{cluster.Table}` WHERE id = 1", (MySqlConnection)read);
            Assert.Equal(42, Convert.ToInt32(await select.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }

        Assert.True(await ClusterCausalReadsAsync() >= before + 6, "every read after the write waited for the cluster");
    }

    [Fact]
    public async Task Syncing_a_closed_connection_says_to_open_it()
    {
        await using var connection = new MySqlConnection(TestServers.Galera[0].ConnectionString);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await GaleraCausalReads.SyncAsync(connection));
        Assert.Contains("open it", error.Message, StringComparison.Ordinal);
    }

    private static async Task<long> CausalReadsCountAsync(System.Data.Common.DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CAUSAL_READS'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<long> ClusterCausalReadsAsync()
    {
        long total = 0;
        foreach (var node in TestServers.Galera)
        {
            await using var connection = await ServerConnections.OpenMariaDbAsync(node);
            total += await CausalReadsCountAsync(connection);
        }

        return total;
    }
}
