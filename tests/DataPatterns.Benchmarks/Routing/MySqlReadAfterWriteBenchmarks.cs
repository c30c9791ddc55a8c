using BenchmarkDotNet.Attributes;
using DataPatterns.Routing;
using DataPatterns.Routing.MySql;
using MySqlConnector;

namespace DataPatterns.Benchmarks.Routing;

/// <summary>
/// A write on the MariaDB primary and the read of it that follows, three ways: a fixed 2 s delay before reading the
/// replica (the baseline: Rails' default delay for reads after a write), the router's GTID wait (the session's token, then
/// MASTER_GTID_WAIT on the replica, up to 1 s, else the primary), and reading the replica at once. Each operation writes a
/// new row; the misses (the read did not see it) are counted and printed at cleanup, because a latency alone hides them.
/// </summary>
[MemoryDiagnoser]
public class MySqlReadAfterWriteBenchmarks
{
    private const string Table = "bench_read_after_write";
    private static readonly TimeSpan FixedDelay = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, (long Reads, long Misses)> _counts = [];
    private ReadWriteRouter _router = null!;
    private MySqlDataSource _primary = null!;
    private MySqlDataSource _replica = null!;
    private long _nextId;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _primary = new MySqlDataSource(MySqlRoutingServers.Primary);
        _replica = new MySqlDataSource(MySqlRoutingServers.Replica);
        await using (var connection = await _primary.OpenConnectionAsync())
        {
            await using var create = new MySqlCommand($"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT PRIMARY KEY); SELECT COALESCE(MAX(id), 0) FROM {Table}", connection);
            _nextId = Convert.ToInt64(await create.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var options = new ReadWriteRouterOptions { MaxReplicaLag = null, ReadYourWritesWait = TimeSpan.FromSeconds(1) }
            .AddNode("primary", MySqlRoutingServers.Primary, NodeRole.Primary)
            .AddNode("replica", MySqlRoutingServers.Replica, NodeRole.Replica)
            .UseMySql();
        _router = new ReadWriteRouter("bench-mysql-raw", options);
        await _router.WaitUntilReadyAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var (name, (reads, misses)) in _counts)
        {
            Console.WriteLine($"// read-after-write misses, {name}: {misses} of {reads}");
        }

        await _router.DisposeAsync();
        await _primary.DisposeAsync();
        await _replica.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "write, fixed 2 s delay, read the replica")]
    public async Task<bool> FixedDelayAsync()
    {
        var id = await WriteAsync();
        await Task.Delay(FixedDelay);
        await using var read = await _replica.OpenConnectionAsync();
        return await CountAsync("fixed 2 s delay", read, id);
    }

    [Benchmark(Description = "write, GTID wait (session token, MASTER_GTID_WAIT), read")]
    public async Task<bool> GtidWaitAsync()
    {
        var session = _router.CreateSession();
        var id = await WriteAsync(session);
        await using var read = await session.OpenReadConnectionAsync();
        return await CountAsync("GTID wait", read, id);
    }

    [Benchmark(Description = "write, read the replica at once (no consistency)")]
    public async Task<bool> NoWaitAsync()
    {
        var id = await WriteAsync();
        await using var read = await _replica.OpenConnectionAsync();
        return await CountAsync("no wait", read, id);
    }

    private async Task<long> WriteAsync(RoutingSession? session = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        await using var connection = session is null ? await _primary.OpenConnectionAsync() : await session.OpenWriteConnectionAsync();
        await using var insert = new MySqlCommand($"INSERT INTO {Table} VALUES ({id})", (MySqlConnection)connection);
        await insert.ExecuteNonQueryAsync();
        return id;
    }

    private async Task<bool> CountAsync(string approach, System.Data.Common.DbConnection connection, long id)
    {
        await using var select = new MySqlCommand($"SELECT COUNT(*) FROM {Table} WHERE id = {id}", (MySqlConnection)connection);
        var found = Convert.ToInt64(await select.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        var (reads, misses) = _counts.GetValueOrDefault(approach);
        _counts[approach] = (reads + 1, misses + (found ? 0 : 1));
        return found;
    }
}
