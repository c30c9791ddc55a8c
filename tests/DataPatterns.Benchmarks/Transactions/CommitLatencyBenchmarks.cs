using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using Npgsql;

namespace DataPatterns.Benchmarks.Transactions;

/// <summary>
/// One client's commit latency as its caller sees it: one transaction per iteration, started on idle servers (before each
/// iteration the previous one's phase 2 has finished), so a mode that answers before
/// phase 2 is measured by its answer, not by the throughput of a loop that keeps the disks busy with the previous
/// transaction's COMMIT PREPARED. Beside it, in the same run: one local commit, two local commits in parallel (the
/// non-atomic floor), the bare parallel prepare round alone (the least any PREPARE-based protocol can answer in), and
/// the file-log coordinator answering after its decision. <see cref="TwoPhaseCommitBenchmarks"/> has the loop figures.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(OneShotConfig))]
public class CommitLatencyBenchmarks
{
    private readonly string _logDirectory = Path.Combine(Path.GetTempPath(), $"dp-bench-latency-{Guid.NewGuid():N}");
    private NpgsqlDataSource _payments = null!;
    private NpgsqlDataSource _orders = null!;
    private NpgsqlTransactionResource _paymentsResource = null!;
    private NpgsqlTransactionResource _ordersResource = null!;
    private FileDecisionLog _log = null!;
    private TwoPhaseCommitCoordinator _stateless = null!;
    private TwoPhaseCommitCoordinator _fileLog = null!;
    private string? _preparedGid;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var payments = await BenchDatabases.CreateAsync(BenchDatabases.Primary);
        var orders = await BenchDatabases.CreateAsync(BenchDatabases.Node2);
        _payments = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(payments) { Enlist = false });
        _orders = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(orders) { Enlist = false });
        _paymentsResource = NpgsqlTransactionResource.Create("payments", payments);
        _ordersResource = NpgsqlTransactionResource.Create("orders", orders);
        _log = new FileDecisionLog(Path.Combine(_logDirectory, "decisions.log"));
        _stateless = new TwoPhaseCommitCoordinator(
            new TwoPhaseCommitOptions { Prefix = "lat" + Guid.NewGuid().ToString("N")[..8], StatelessCommit = true, WaitForPhaseTwo = false },
            decisionLog: null,
            [_paymentsResource, _ordersResource]);
        _fileLog = new TwoPhaseCommitCoordinator(
            new TwoPhaseCommitOptions { Prefix = "lat", NodeId = Guid.NewGuid().ToString("N")[..12], WaitForPhaseTwo = false },
            _log,
            [_paymentsResource, _ordersResource]);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _stateless.DisposeAsync();
        await _fileLog.DisposeAsync();
        await _log.DisposeAsync();
        await _paymentsResource.DisposeAsync();
        await _ordersResource.DisposeAsync();
        await _payments.DisposeAsync();
        await _orders.DisposeAsync();
        Directory.Delete(_logDirectory, recursive: true);
    }

    /// <summary>Finishes what the last iteration left (phase 2, or the bare round's prepared branches) before the next starts.</summary>
    [IterationSetup]
    public void Settle() => SettleAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "one database: BEGIN; INSERT; COMMIT")]
    public async Task SingleCommit()
    {
        await using var connection = await _payments.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(connection);
        await transaction.CommitAsync();
    }

    [Benchmark(Description = "two servers, two local commits in parallel (NOT atomic: the floor)")]
    public async Task TwoLocalCommits()
    {
        await using var payments = await _payments.OpenConnectionAsync();
        await using var orders = await _orders.OpenConnectionAsync();
        await using var paymentsTransaction = await payments.BeginTransactionAsync();
        await using var ordersTransaction = await orders.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(payments);
        await BenchDatabases.InsertAsync(orders);
        await Task.WhenAll(paymentsTransaction.CommitAsync(), ordersTransaction.CommitAsync());
    }

    [Benchmark(Description = "bare parallel PREPARE round alone (no marker, no commit: the least a PREPARE-based answer costs)")]
    public async Task BarePrepareRound()
    {
        _preparedGid = Guid.NewGuid().ToString("N");
        await using var payments = await _payments.OpenConnectionAsync();
        await using var orders = await _orders.OpenConnectionAsync();
        await payments.BeginTransactionAsync();
        await orders.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(payments);
        await BenchDatabases.InsertAsync(orders);
        await Task.WhenAll(BenchDatabases.ExecuteAsync(payments, $"PREPARE TRANSACTION 'p{_preparedGid}'"), BenchDatabases.ExecuteAsync(orders, $"PREPARE TRANSACTION 'o{_preparedGid}'"));
    }

    [Benchmark(Description = "stateless commit, answers after the last PREPARE")]
    public Task Stateless() => OnceAsync(_stateless);

    [Benchmark(Description = "file-log coordinator, answers after the fsync'd decision")]
    public Task FileLog() => OnceAsync(_fileLog);

    private async Task OnceAsync(TwoPhaseCommitCoordinator coordinator)
    {
        await using var transaction = coordinator.Begin();
        var payments = await _paymentsResource.BeginBranchAsync(transaction);
        var orders = await _ordersResource.BeginBranchAsync(transaction);
        await BenchDatabases.InsertAsync(payments.Connection);
        await BenchDatabases.InsertAsync(orders.Connection);
        await transaction.CommitAsync();
    }

    private async Task SettleAsync()
    {
        await _stateless.WhenPhaseTwoCompleteAsync();
        await _fileLog.WhenPhaseTwoCompleteAsync();
        if (_preparedGid is { } gid)
        {
            _preparedGid = null;
            await using var payments = await _payments.OpenConnectionAsync();
            await using var orders = await _orders.OpenConnectionAsync();
            await Task.WhenAll(BenchDatabases.ExecuteAsync(payments, $"COMMIT PREPARED 'p{gid}'"), BenchDatabases.ExecuteAsync(orders, $"COMMIT PREPARED 'o{gid}'"));
        }
    }

    /// <summary>One invocation per iteration (the set-up runs before each), many iterations, in process.</summary>
    private sealed class OneShotConfig : ManualConfig
    {
        public OneShotConfig() =>
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithStrategy(RunStrategy.Monitoring)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithLaunchCount(1)
                .WithWarmupCount(20)
                .WithIterationCount(200));
    }
}
