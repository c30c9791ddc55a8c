using BenchmarkDotNet.Attributes;
using DataPatterns.Routing;
using DataPatterns.Routing.MySql;
using MySqlConnector;

namespace DataPatterns.Benchmarks.Routing;

/// <summary>
/// A point read by primary key on a pooled connection to the MariaDB replica: through a plain MySqlDataSource (the
/// baseline), through the router's replica data source, and through a read-your-writes session with no write (the common
/// read of a request). The difference is the router's whole cost per connection.
/// </summary>
[MemoryDiagnoser]
public class MySqlRoutingOverheadBenchmarks
{
    private const string Table = "bench_point_read";
    private const string PointRead = "SELECT v FROM " + Table + " WHERE id = 42";
    private MySqlDataSource _plain = null!;
    private ReadWriteRouter _router = null!;
    private RoutingSession _session = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        await using (var primary = new MySqlConnection(MySqlRoutingServers.Primary))
        {
            await primary.OpenAsync();
            await using var create = new MySqlCommand($"CREATE TABLE IF NOT EXISTS {Table} (id INT PRIMARY KEY, v INT NOT NULL); REPLACE INTO {Table} VALUES (42, 7); SELECT @@gtid_binlog_pos", primary);
            var position = (string)(await create.ExecuteScalarAsync())!;
            await using var replica = new MySqlConnection(MySqlRoutingServers.Replica);
            await replica.OpenAsync();
            await using var wait = new MySqlCommand($"SELECT MASTER_GTID_WAIT('{position}', 30)", replica);
            await wait.ExecuteScalarAsync();
        }

        _plain = new MySqlDataSource(MySqlRoutingServers.Replica);
        var options = new ReadWriteRouterOptions { MaxReplicaLag = null }
            .AddNode("primary", MySqlRoutingServers.Primary)
            .AddNode("replica", MySqlRoutingServers.Replica)
            .UseMySql();
        _router = new ReadWriteRouter("bench-mysql", options);
        await _router.WaitUntilReadyAsync();
        _session = _router.CreateSession();
        if (await ReadPlainAsync() != 7 || await ReadRoutedAsync() != 7 || await ReadSessionAsync() != 7)
        {
            throw new InvalidOperationException("The point read did not answer 7.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _router.DisposeAsync();
        await _plain.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "MySqlDataSource: open, point read")]
    public async Task<int> ReadPlainAsync()
    {
        await using var connection = await _plain.OpenConnectionAsync();
        await using var command = new MySqlCommand(PointRead, connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Benchmark(Description = "router.Replica: open, point read")]
    public async Task<int> ReadRoutedAsync()
    {
        await using var connection = await _router.Replica.OpenConnectionAsync();
        await using var command = new MySqlCommand(PointRead, (MySqlConnection)connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Benchmark(Description = "session.Reads (read-your-writes, no write): open, point read")]
    public async Task<int> ReadSessionAsync()
    {
        await using var connection = await _session.OpenReadConnectionAsync();
        await using var command = new MySqlCommand(PointRead, (MySqlConnection)connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
