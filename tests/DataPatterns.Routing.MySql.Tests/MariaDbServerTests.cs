using DataPatterns.Testing;

namespace DataPatterns.Routing.MySql.Tests;

public sealed class MariaDbServerTests
{
    [Fact]
    public async Task The_shared_replica_replays_the_primary_by_gtid()
    {
        var table = $"t_{Guid.NewGuid():N}";
        await ServerConnections.ScalarAsync(TestServers.MariaDbPrimary, $"CREATE TABLE {table} (id INT PRIMARY KEY); INSERT INTO {table} VALUES (7);");
        var gtid = (string?)await ServerConnections.ScalarAsync(TestServers.MariaDbPrimary, "SELECT @@gtid_binlog_pos");
        var waited = await ServerConnections.ScalarAsync(TestServers.MariaDbReplica, $"SELECT MASTER_GTID_WAIT('{gtid}', 10)");
        Assert.Equal(0, Convert.ToInt32(waited, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(7, Convert.ToInt32(await ServerConnections.ScalarAsync(TestServers.MariaDbReplica, $"SELECT id FROM {table}"), System.Globalization.CultureInfo.InvariantCulture));
        await ServerConnections.ScalarAsync(TestServers.MariaDbPrimary, $"DROP TABLE {table}");
    }

    [Fact]
    public async Task A_private_replica_is_promoted_after_its_primary_is_killed()
    {
        await using var primary = await PrivateMariaDb.StartNewAsync("smoke-primary");
        await using var replica = await primary.StartReplicaAsync("smoke-replica");
        await primary.ExecuteAsync("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1);");
        var gtid = (string?)await ServerConnections.ScalarAsync(primary.Server, "SELECT @@gtid_binlog_pos");
        Assert.Equal(0, Convert.ToInt32(await ServerConnections.ScalarAsync(replica.Server, $"SELECT MASTER_GTID_WAIT('{gtid}', 10)"), System.Globalization.CultureInfo.InvariantCulture));

        await primary.KillAsync();
        Assert.False(await primary.IsUpAsync());
        await replica.PromoteAsync();
        await replica.ExecuteAsync("INSERT INTO t VALUES (2);");
        Assert.Equal(2L, Convert.ToInt64(await ServerConnections.ScalarAsync(replica.Server, "SELECT COUNT(*) FROM t"), System.Globalization.CultureInfo.InvariantCulture));

        await primary.StartAsync();
        Assert.True(await primary.IsUpAsync());
    }
}
