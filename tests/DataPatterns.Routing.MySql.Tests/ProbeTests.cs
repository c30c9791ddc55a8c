using DataPatterns.Testing;
using MySqlConnector;
using Npgsql;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>The probe against the shared GTID primary and replica.</summary>
public sealed class ProbeTests
{
    private static readonly string Primary = TestServers.MariaDbPrimary.ConnectionString;
    private static readonly string Replica = TestServers.MariaDbReplica.ConnectionString;

    [Fact]
    public async Task The_primary_is_writable_at_its_binlog_sequence_and_the_replica_read_only_with_its_own_lag_report()
    {
        await using var primary = new MySqlConnection(Primary);
        await primary.OpenAsync();
        await using var replica = new MySqlConnection(Replica);
        await replica.OpenAsync();

        var before = await Sql.PrimarySequenceAsync(Primary);
        var onPrimary = await MySqlRoutingProbe.Instance.ProbeAsync(primary, default);
        Assert.True(onPrimary.IsWritable);
        Assert.True(onPrimary.LogPosition.Position >= before, $"probe position {onPrimary.LogPosition.Position} is behind the binlog's {before}");
        Assert.Null(onPrimary.ReportedLag);

        await Sql.CatchUpAsync(Primary, Replica);
        var onReplica = await MySqlRoutingProbe.Instance.ProbeAsync(replica, default);
        Assert.False(onReplica.IsWritable);
        Assert.True(onReplica.LogPosition.Position >= before, "the caught-up replica reports a position behind what it replayed");
        Assert.NotNull(onReplica.ReportedLag); // both threads run: Seconds_Behind_Master is a number
    }

    [Fact]
    public async Task A_write_position_is_the_binlog_sequence_and_a_replica_refuses_to_give_one()
    {
        var table = Sql.NewTable("probe");
        await using var primary = new MySqlConnection(Primary);
        await primary.OpenAsync();
        await Sql.ScalarAsync(primary, $"CREATE TABLE {table} (id INT PRIMARY KEY); INSERT INTO {table} VALUES (1)");
        try
        {
            var token = await MySqlRoutingProbe.Instance.GetWritePositionAsync(primary, default);
            Assert.Equal(await Sql.PrimarySequenceAsync(Primary), token.Position);

            await using var replica = new MySqlConnection(Replica);
            await replica.OpenAsync();
            var refused = await Assert.ThrowsAsync<NoPrimaryAvailableException>(async () => await MySqlRoutingProbe.Instance.GetWritePositionAsync(replica, default));
            Assert.Contains("read-only", refused.Message, StringComparison.Ordinal);

            // MASTER_GTID_WAIT: reached at once when replayed, -1 (false) after the timeout when not, never for PrimaryOnly.
            Assert.True(await MySqlRoutingProbe.Instance.WaitForReplayAsync(replica, token, TimeSpan.FromSeconds(10), default));
            Assert.True((await MySqlRoutingProbe.Instance.GetReplayPositionAsync(replica, default)) >= token);
            Assert.False(await MySqlRoutingProbe.Instance.WaitForReplayAsync(replica, new ConsistencyToken(token.Position + 1_000_000), TimeSpan.FromMilliseconds(200), default));
            Assert.False(await MySqlRoutingProbe.Instance.WaitForReplayAsync(replica, MariaDbConsistencyTokens.PrimaryOnly, TimeSpan.FromSeconds(30), default));
            Assert.True(await MySqlRoutingProbe.Instance.WaitForReplayAsync(replica, ConsistencyToken.None, TimeSpan.Zero, default));
        }
        finally
        {
            await Sql.ScalarAsync(primary, $"DROP TABLE {table}");
        }
    }

    [Fact]
    public async Task The_probe_connection_is_unpooled_with_the_nodes_credentials()
    {
        await using var dataSource = new MySqlDataSource(Primary);
        await using var probe = MySqlRoutingProbe.Instance.CreateProbeConnection(dataSource);
        var settings = new MySqlConnectionStringBuilder(probe.ConnectionString);
        Assert.False(settings.Pooling);
        Assert.Equal("DataPatterns.Routing probe", settings.ApplicationName);
        await probe.OpenAsync();
        Assert.True((await MySqlRoutingProbe.Instance.ProbeAsync(probe, default)).IsWritable);
    }

    [Fact]
    public async Task A_connection_of_another_client_is_refused_with_what_to_give_instead()
    {
        await using var postgres = new NpgsqlConnection(TestServers.Primary.ConnectionString);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await MySqlRoutingProbe.Instance.ProbeAsync(postgres, default));
        Assert.Contains("MySqlDataSource", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_server_that_went_away_clears_the_pool()
    {
        await using var dataSource = new MySqlDataSource("Server=127.0.0.1;Port=1;User ID=nobody;Connection Timeout=1");
        var refused = await Assert.ThrowsAsync<MySqlException>(async () => await dataSource.OpenConnectionAsync());
        Assert.True(MySqlRoutingProbe.Instance.ClearBrokenConnections(dataSource, refused));
        Assert.True(MySqlRoutingProbe.Instance.ClearBrokenConnections(dataSource, new EndOfStreamException()));
        Assert.False(MySqlRoutingProbe.Instance.ClearBrokenConnections(dataSource, new TimeoutException()));
        Assert.False(MySqlRoutingProbe.Instance.ClearBrokenConnections(dataSource, new InvalidOperationException("query error")));
        await using var other = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");
        Assert.False(MySqlRoutingProbe.Instance.ClearBrokenConnections(other, new IOException("gone")));
    }
}
