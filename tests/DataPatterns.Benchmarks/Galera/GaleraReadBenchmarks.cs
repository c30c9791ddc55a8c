using System.Data.Common;
using BenchmarkDotNet.Attributes;
using DataPatterns.Routing;
using DataPatterns.Routing.MySql.Galera;
using MySqlConnector;

namespace DataPatterns.Benchmarks.Galera;

/// <summary>
/// A point read (open, one-row SELECT by primary key, close) through the router in Galera mode, plain and causal, beside
/// the same read on a plain MySqlDataSource to one node (the baseline), all with the pool reset off.
/// </summary>
[MemoryDiagnoser]
public class GaleraReadBenchmarks
{
    private const string Table = "bench_galera_read";
    private MySqlDataSource _plain = null!;
    private ReadWriteRouter _router = null!;
    private MySqlDataSource[] _nodes = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _plain = new MySqlDataSource(GaleraServers.Nodes[0]);
        (_router, _, _nodes) = await GaleraServers.StartAsync("bench-galera-read");
        await GaleraServers.ExecuteAsync(_plain, $"CREATE TABLE IF NOT EXISTS `{Table}` (id INT PRIMARY KEY, v INT NOT NULL); REPLACE INTO `{Table}` VALUES (1, 42)");
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await GaleraServers.ExecuteAsync(_plain, $"DROP TABLE IF EXISTS `{Table}`");
        await _router.DisposeAsync();
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await _plain.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "MySqlDataSource (one node): point read")]
    public async Task<object?> PlainAsync()
    {
        await using var connection = await _plain.OpenConnectionAsync();
        return await ReadAsync(connection);
    }

    [Benchmark(Description = "router.Replica (any synced node): point read")]
    public async Task<object?> RoutedAsync()
    {
        await using var connection = await _router.Replica.OpenConnectionAsync();
        return await ReadAsync(connection);
    }

    [Benchmark(Description = "OpenCausalReadConnectionAsync: causal point read")]
    public async Task<object?> CausalAsync()
    {
        await using var connection = await _router.OpenCausalReadConnectionAsync();
        return await ReadAsync(connection);
    }

    private static async Task<object?> ReadAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT v FROM `{Table}` WHERE id = 1";
        return await command.ExecuteScalarAsync();
    }
}
