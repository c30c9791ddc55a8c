using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DataPatterns.Benchmarks.Cqrs;

/// <summary>
/// Projecting outbox events into a PostgreSQL read model, per event: the naive runner (baseline) commits one event per
/// transaction (read-model upsert + checkpoint, reading 500 at a time); the contender is the real hosted projection
/// runner (AddCqrs().UseNpgsql(), 500-event batches and the default 1,000-event batches, each committed with its checkpoint
/// and fencing check in one transaction and one round trip, the next batch read while one commits), timed from start
/// (container, lease, read-model creation) until it has projected all 20,000 events.
/// Both write through <see cref="NpgsqlProjectionStore"/>. Per event: throughput = 1 / Mean.
/// Server: DATAPATTERNS_PG_PRIMARY (eng/services.sh up).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ProjectionThroughputBenchmarks
{
    private const int Events = 20_000;
    private const int NaiveEvents = 2_000;
    private const int BatchSize = 500;
    private readonly BenchAccountsProjection _projection = new();
    private string _database = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NpgsqlEventSource _source = null!;
    private NpgsqlProjectionStore _store = null!;
    private long _token;
    private string _connectionString = null!;
    private EventPosition _head;
    private int _runs;

    private static string Primary =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") is { Length: > 0 } value ? value : "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _database = "dp_bench_cqrs_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(Primary))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {_database}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        // Both contenders prepare their repeated statements (UseNpgsql turns auto-prepare on by default).
        _connectionString = new NpgsqlConnectionStringBuilder(Primary) { Database = _database, MaxAutoPrepare = 32 }.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(_connectionString);
        var options = new NpgsqlCqrsOptions();
        var outbox = new NpgsqlOutbox(_dataSource, options);
        await outbox.EnsureCreatedAsync();
        _source = new NpgsqlEventSource(_dataSource, options);
        _store = new NpgsqlProjectionStore(_dataSource, options);
        var random = new Random(1);
        for (var written = 0; written < Events; written += 100)
        {
            await using var connection = await _dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var batch = Enumerable.Range(0, 100)
                .Select(_ => new OutboxEvent("acct-" + random.Next(200).ToString(CultureInfo.InvariantCulture), "deposited", random.Next(1, 100).ToString(CultureInfo.InvariantCulture)))
                .ToArray();
            await outbox.AppendAsync(transaction, batch);
            await transaction.CommitAsync();
        }

        await using (var head = _dataSource.CreateCommand("SELECT transaction_id, sequence FROM cqrs.events ORDER BY transaction_id DESC, sequence DESC LIMIT 1"))
        await using (var reader = await head.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            _head = new EventPosition(reader.GetInt64(0), reader.GetInt64(1));
        }

        _token = (await _store.TryAcquireAsync(_projection.Name, "bench", TimeSpan.FromHours(1), CancellationToken.None))!.Value;
        await _store.OpenAsync(_projection, _token, CancellationToken.None);
    }

    [IterationSetup]
    public void ResetReadModel()
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("TRUNCATE bench_accounts_g1.accounts; UPDATE cqrs.checkpoints SET transaction_id = 0, sequence = 0", connection);
        command.ExecuteNonQuery();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = NaiveEvents, Description = "naive: one event per transaction")]
    public async Task NaiveOneEventPerTransaction()
    {
        var checkpoint = EventPosition.Start;
        var applied = 0;
        while (applied < NaiveEvents)
        {
            var batch = await _source.ReadAsync(checkpoint, BatchSize, CancellationToken.None);
            foreach (var e in batch.Events)
            {
                await _store.CommitBatchAsync(new ProjectionBatch(_projection, 1, checkpoint, e.Position, [e], [], _token), CancellationToken.None);
                checkpoint = e.Position;
                if (++applied == NaiveEvents)
                {
                    return;
                }
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "hosted runner: 500 events + checkpoint per transaction")]
    public Task HostedRunner500PerTransaction() => RunHostedAsync(BatchSize);

    [Benchmark(OperationsPerInvoke = Events, Description = "hosted runner: default batch (1,000) + checkpoint per transaction")]
    public Task HostedRunnerDefaultBatch() => RunHostedAsync(null);

    private async Task RunHostedAsync(int? batchSize)
    {
        var name = "bench_run_" + Interlocked.Increment(ref _runs).ToString(CultureInfo.InvariantCulture);
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddCqrs(cqrs => cqrs.AddProjection(new BenchAccountsProjection(name)).ConfigureRunner(o => o.BatchSize = batchSize ?? o.BatchSize))
            .UseNpgsql(o => o.ConnectionString = _connectionString);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        var monitor = provider.GetRequiredService<IProjectionMonitor>();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        while (monitor.Find(name)?.Checkpoint != _head)
        {
            await Task.Delay(1);
        }

        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _source.DisposeAsync();
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(Primary);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }
}
