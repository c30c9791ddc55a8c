using System.Collections.Concurrent;
using System.Diagnostics;
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
/// End-to-end lag at a steady 1,000 events/s: a writer commits a transaction of 10 events every 10 ms through the
/// outbox while the hosted projection runner (AddCqrs().UseNpgsql(), woken by LISTEN/NOTIFY) projects them. Lag of an
/// event = from its writer's commit returning to the read-model transaction that applied it committing. Each
/// operation is 5 s of writing; the percentiles are printed ("CQRS LAG ...") and written to dp-cqrs-lag.txt in the
/// temporary folder. The mean is not the figure of interest here; the printed p99 is. <see cref="OutboxRowsBefore"/>
/// events of finished transactions are in the outbox (and projected) before measuring: lag must not grow with the outbox.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 2)]
public class ProjectionLagBenchmarks
{
    private const int EventsPerTick = 10;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<long, long> _committedAt = new();
    private readonly ConcurrentDictionary<long, long> _appliedAt = new();
    private string _database = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NpgsqlOutbox _outbox = null!;
    private ServiceProvider _provider = null!;
    private List<IHostedService> _hosted = null!;
    private long _nextId;

    /// <summary>Events already in the outbox (and projected) before the measurement starts.</summary>
    [Params(0, 1_000_000)]
    public int OutboxRowsBefore { get; set; }

    private static string Primary =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") is { Length: > 0 } value ? value : "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _database = "dp_bench_cqrslag_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(Primary))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {_database}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(Primary) { Database = _database }.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _outbox = new NpgsqlOutbox(_dataSource, new NpgsqlCqrsOptions());
        await _outbox.EnsureCreatedAsync();
        if (OutboxRowsBefore > 0)
        {
            // Rows of finished transactions (ids below the current one, 100 events each), with ids that are not
            // counted by the lag measurement (payload 0 never matches a measured id).
            await using var fill = _dataSource.CreateCommand("""
                INSERT INTO cqrs.events (transaction_id, stream_id, event_type, payload)
                SELECT (SELECT pg_current_xact_id()::text::bigint) - ($1 / 100) - 2 + i / 100, 'acct-' || (i % 100), 'deposited', '0'
                FROM generate_series(0, $1 - 1) AS i ORDER BY i
                """);
            fill.Parameters.Add(new NpgsqlParameter { Value = OutboxRowsBefore });
            await fill.ExecuteNonQueryAsync();
            await using var analyze = _dataSource.CreateCommand("VACUUM ANALYZE cqrs.events");
            await analyze.ExecuteNonQueryAsync();
        }

        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<IProjectionStore>(sp => new TimingStore(sp.GetRequiredService<NpgsqlProjectionStore>(), _appliedAt));
        services.AddCqrs(cqrs => cqrs.AddProjection(new BenchAccountsProjection("lag_accounts")))
            .UseNpgsql(o => o.ConnectionString = connectionString);
        _provider = services.BuildServiceProvider();
        _hosted = [.. _provider.GetServices<IHostedService>()];
        foreach (var service in _hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        // Let the runner project what is already there, so the measurement starts from a caught-up projection.
        var monitor = _provider.GetRequiredService<IProjectionMonitor>();
        while (monitor.Find("lag_accounts") is not { EventsBehind: 0, LagMeasuredAt: not null } status || status.Checkpoint == default && OutboxRowsBefore > 0)
        {
            await Task.Delay(100);
        }
    }

    [Benchmark(Description = "steady 1,000 events/s for 5 s, hosted runner")]
    public async Task SteadyWrites()
    {
        _committedAt.Clear();
        _appliedAt.Clear();
        var ids = new List<long>();
        using var timer = new PeriodicTimer(Tick);
        var stopAt = Stopwatch.GetTimestamp() + (long)(Duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < stopAt && await timer.WaitForNextTickAsync())
        {
            var events = new OutboxEvent[EventsPerTick];
            var batchIds = new long[EventsPerTick];
            for (var i = 0; i < EventsPerTick; i++)
            {
                batchIds[i] = Interlocked.Increment(ref _nextId);
                events[i] = new OutboxEvent("acct-" + (batchIds[i] % 100).ToString(CultureInfo.InvariantCulture), "deposited", batchIds[i].ToString(CultureInfo.InvariantCulture));
            }

            await using (var connection = await _dataSource.OpenConnectionAsync())
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await _outbox.AppendAsync(transaction, events);
                await transaction.CommitAsync();
            }

            var committed = Stopwatch.GetTimestamp();
            foreach (var id in batchIds)
            {
                _committedAt[id] = committed;
            }

            ids.AddRange(batchIds);
        }

        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (ids.Any(id => !_appliedAt.ContainsKey(id)) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10);
        }

        var lags = ids
            .Select(id => _appliedAt.TryGetValue(id, out var applied) ? Math.Max(0, applied - _committedAt[id]) * 1000.0 / Stopwatch.Frequency : double.PositiveInfinity)
            .Order()
            .ToArray();
        double P(double q) => lags[Math.Min(lags.Length - 1, (int)Math.Ceiling(q * lags.Length) - 1)];
        var rate = ids.Count / Duration.TotalSeconds;
        var line = string.Create(CultureInfo.InvariantCulture, $"CQRS LAG events={ids.Count} rate={rate:0}/s p50={P(0.50):0.0}ms p95={P(0.95):0.0}ms p99={P(0.99):0.0}ms max={lags[^1]:0.0}ms");
        Console.WriteLine(line);
        await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "dp-cqrs-lag.txt"), line + Environment.NewLine);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(Primary);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Records when each event's read-model transaction committed.</summary>
    private sealed class TimingStore(NpgsqlProjectionStore inner, ConcurrentDictionary<long, long> appliedAt) : IProjectionStore
    {
        public bool CanRun(IProjection projection, out string reason) => inner.CanRun(projection, out reason);

        public ValueTask<ProjectionGenerations> OpenAsync(IProjection projection, long fencingToken, CancellationToken cancellationToken) =>
            inner.OpenAsync(projection, fencingToken, cancellationToken);

        public async ValueTask CommitBatchAsync(ProjectionBatch batch, CancellationToken cancellationToken)
        {
            await inner.CommitBatchAsync(batch, cancellationToken);
            var now = Stopwatch.GetTimestamp();
            foreach (var e in batch.Events)
            {
                appliedAt[long.Parse(e.Payload, CultureInfo.InvariantCulture)] = now;
            }
        }

        public ValueTask SwitchToAsync(IProjection projection, int generation, long fencingToken, CancellationToken cancellationToken) =>
            inner.SwitchToAsync(projection, generation, fencingToken, cancellationToken);

        public ValueTask<int> RequestRebuildAsync(string projectionName, CancellationToken cancellationToken) =>
            inner.RequestRebuildAsync(projectionName, cancellationToken);

        public bool IsTransient(Exception exception) => inner.IsTransient(exception);
    }
}
