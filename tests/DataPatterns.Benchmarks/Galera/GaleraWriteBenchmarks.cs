using System.Data.Common;
using BenchmarkDotNet.Attributes;
using DataPatterns.Routing;
using DataPatterns.Routing.MySql.Galera;
using MySqlConnector;

namespace DataPatterns.Benchmarks.Galera;

/// <summary>
/// A one-row update transaction through <see cref="GaleraWriter"/> (by key, and by the router's policy) beside the same
/// transaction on a plain MySqlDataSource to one node (the baseline). Each commit is certified by the whole cluster.
/// </summary>
[MemoryDiagnoser]
public class GaleraWriteBenchmarks
{
    private const string Table = "bench_galera_write";
    private MySqlDataSource _plain = null!;
    private ReadWriteRouter _router = null!;
    private GaleraWriter _writer = null!;
    private MySqlDataSource[] _nodes = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _plain = new MySqlDataSource(GaleraServers.Nodes[0]);
        (_router, _writer, _nodes) = await GaleraServers.StartAsync("bench-galera-write");
        await GaleraServers.ExecuteAsync(_plain, $"CREATE TABLE IF NOT EXISTS `{Table}` (id INT PRIMARY KEY, v INT NOT NULL); REPLACE INTO `{Table}` VALUES (1, 0)");
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

    [Benchmark(Baseline = true, Description = "MySqlDataSource (one node): update transaction")]
    public async Task<int> PlainAsync()
    {
        await using var connection = await _plain.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var result = await UpdateAsync(connection, transaction, default);
        await transaction.CommitAsync();
        return result;
    }

    [Benchmark(Description = "GaleraWriter.ExecuteAsync(key): update transaction")]
    public Task<int> KeyedAsync() => _writer.ExecuteAsync("account:1", UpdateAsync);

    [Benchmark(Description = "GaleraWriter.ExecuteAsync (router policy): update transaction")]
    public Task<int> RoutedAsync() => _writer.ExecuteAsync(UpdateAsync);

    private static async ValueTask<int> UpdateAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"UPDATE `{Table}` SET v = v + 1 WHERE id = 1";
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
