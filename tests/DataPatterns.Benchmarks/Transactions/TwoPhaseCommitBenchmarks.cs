using System.Transactions;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace DataPatterns.Benchmarks.Transactions;

/// <summary>
/// One insert per server, committed: on one database (the baseline), across the primary ("payments") and node2
/// ("orders") with Npgsql + TransactionScope (volatile 2PC, nothing durable, no recovery), and across the same two with
/// this coordinator set up as an application would (AddTwoPhaseCommit().UseNpgsql(...), its recovery hosted service
/// started, its fsync'd file decision log), once waiting for phase 2 (the default) and once with phase 2 in the
/// background; and with last-resource commit (the PostgreSQL decision log in payments' database, whose own commit
/// carries the decision, so payments is never prepared), both ways; and with stateless commit (no decision log: a
/// marker row rides each branch's PREPARE, and the transaction is committed once both have prepared), both ways. Two floors beside them: a bare parallel 2PC with no
/// log, and two plain local commits, which is not atomic at all. An operation is <see cref="Clients"/> transactions run at once, so throughput is Clients / Mean.
/// Servers: DATAPATTERNS_PG_PRIMARY and DATAPATTERNS_PG_NODE2 (eng/services.sh up).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcessConfig))]
public class TwoPhaseCommitBenchmarks
{
    private readonly string _logDirectory = Path.Combine(Path.GetTempPath(), $"dp-bench-2pc-{Guid.NewGuid():N}");
    private NpgsqlDataSource _single = null!;
    private NpgsqlDataSource _paymentsEnlisting = null!;
    private NpgsqlDataSource _ordersEnlisting = null!;
    private NpgsqlDataSource _orders = null!;
    private Coordinator _waiting = null!;
    private Coordinator _background = null!;
    private Coordinator _lastResourceWaiting = null!;
    private Coordinator _lastResourceBackground = null!;
    private Coordinator _statelessWaiting = null!;
    private Coordinator _statelessBackground = null!;

    /// <summary>Concurrent clients, each committing one transaction per operation.</summary>
    [Params(1, 16)]
    public int Clients { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var payments = await BenchDatabases.CreateAsync(BenchDatabases.Primary);
        var orders = await BenchDatabases.CreateAsync(BenchDatabases.Node2);
        _single = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(payments) { Enlist = false });
        _paymentsEnlisting = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(payments) { Enlist = true });
        _ordersEnlisting = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(orders) { Enlist = true });
        _orders = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(orders) { Enlist = false });
        _waiting = await Coordinator.StartAsync(payments, orders, CommitMode.FileLog, Path.Combine(_logDirectory, "waiting"), waitForPhaseTwo: true);
        _background = await Coordinator.StartAsync(payments, orders, CommitMode.FileLog, Path.Combine(_logDirectory, "background"), waitForPhaseTwo: false);
        _lastResourceWaiting = await Coordinator.StartAsync(payments, orders, CommitMode.LastResource, _logDirectory, waitForPhaseTwo: true);
        _lastResourceBackground = await Coordinator.StartAsync(payments, orders, CommitMode.LastResource, _logDirectory, waitForPhaseTwo: false);
        _statelessWaiting = await Coordinator.StartAsync(payments, orders, CommitMode.Stateless, _logDirectory, waitForPhaseTwo: true);
        _statelessBackground = await Coordinator.StartAsync(payments, orders, CommitMode.Stateless, _logDirectory, waitForPhaseTwo: false);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _waiting.DisposeAsync();
        await _background.DisposeAsync();
        await _lastResourceWaiting.DisposeAsync();
        await _lastResourceBackground.DisposeAsync();
        await _statelessWaiting.DisposeAsync();
        await _statelessBackground.DisposeAsync();
        await _single.DisposeAsync();
        await _paymentsEnlisting.DisposeAsync();
        await _ordersEnlisting.DisposeAsync();
        await _orders.DisposeAsync();
        Directory.Delete(_logDirectory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "single database: BEGIN; INSERT; COMMIT")]
    public Task SingleDatabase() => RunClientsAsync(SingleDatabaseOnceAsync);

    [Benchmark(Description = "Npgsql + TransactionScope, two servers (no durable decision)")]
    public Task TransactionScopeTwoServers() => RunClientsAsync(TransactionScopeOnceAsync);

    [Benchmark(Description = "two servers, two local commits in parallel (NOT atomic: the floor for any two-server commit)")]
    public Task TwoLocalCommitsTwoServers() => RunClientsAsync(TwoLocalCommitsOnceAsync);

    [Benchmark(Description = "bare parallel PREPARE + COMMIT PREPARED, two servers (no log, no recovery)")]
    public Task BareTwoPhaseTwoServers() => RunClientsAsync(BareTwoPhaseOnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, two servers, fsync'd log, waits for phase 2")]
    public Task CoordinatorTwoServers() => RunClientsAsync(_waiting.OnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, two servers, fsync'd log, phase 2 in background")]
    public Task CoordinatorTwoServersPhaseTwoInBackground() => RunClientsAsync(_background.OnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, last-resource commit (decision row in payments), waits for phase 2")]
    public Task CoordinatorLastResource() => RunClientsAsync(_lastResourceWaiting.OnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, last-resource commit (decision row in payments), phase 2 in background")]
    public Task CoordinatorLastResourcePhaseTwoInBackground() => RunClientsAsync(_lastResourceBackground.OnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, stateless commit (markers, no log), waits for phase 2")]
    public Task CoordinatorStateless() => RunClientsAsync(_statelessWaiting.OnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, stateless commit (markers, no log), answers after the last PREPARE")]
    public Task CoordinatorStatelessPhaseTwoInBackground() => RunClientsAsync(_statelessBackground.OnceAsync);

    private enum CommitMode
    {
        FileLog,
        LastResource,
        Stateless,
    }

    private async Task RunClientsAsync(Func<Task> once)
    {
        if (Clients == 1)
        {
            await once();
            return;
        }

        var tasks = new Task[Clients];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = once();
        }

        await Task.WhenAll(tasks);
    }

    private async Task SingleDatabaseOnceAsync()
    {
        await using var connection = await _single.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(connection);
        await transaction.CommitAsync();
    }

    private async Task TransactionScopeOnceAsync()
    {
        using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
        await using (var payments = await _paymentsEnlisting.OpenConnectionAsync())
        {
            await BenchDatabases.InsertAsync(payments);
        }

        await using (var orders = await _ordersEnlisting.OpenConnectionAsync())
        {
            await BenchDatabases.InsertAsync(orders);
        }

        scope.Complete();
    }

    /// <summary>
    /// What no atomic protocol can beat: the same two inserts, each server committing on its own with no prepare and no
    /// decision. A crash between the two commits leaves one side written, which is what 2PC exists to prevent.
    /// </summary>
    private async Task TwoLocalCommitsOnceAsync()
    {
        await using var payments = await _single.OpenConnectionAsync();
        await using var orders = await _orders.OpenConnectionAsync();
        await using var paymentsTransaction = await payments.BeginTransactionAsync();
        await using var ordersTransaction = await orders.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(payments);
        await BenchDatabases.InsertAsync(orders);
        await Task.WhenAll(paymentsTransaction.CommitAsync(), ordersTransaction.CommitAsync());
    }

    /// <summary>The protocol's floor on these servers, as the issue measured it: no decision record, nothing to recover with.</summary>
    private async Task BareTwoPhaseOnceAsync()
    {
        var gid = Guid.NewGuid().ToString("N");
        await using var payments = await _single.OpenConnectionAsync();
        await using var orders = await _orders.OpenConnectionAsync();
        // Like the coordinator's branches: the local transactions end with PREPARE, so they are not disposed (no ROLLBACK).
        await payments.BeginTransactionAsync();
        await orders.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(payments);
        await BenchDatabases.InsertAsync(orders);
        await Task.WhenAll(BenchDatabases.ExecuteAsync(payments, $"PREPARE TRANSACTION 'p{gid}'"), BenchDatabases.ExecuteAsync(orders, $"PREPARE TRANSACTION 'o{gid}'"));

        await Task.WhenAll(BenchDatabases.ExecuteAsync(payments, $"COMMIT PREPARED 'p{gid}'"), BenchDatabases.ExecuteAsync(orders, $"COMMIT PREPARED 'o{gid}'"));
    }

    /// <summary>A coordinator as an application sets it up: DI, the recovery hosted service started, a file log of its own.</summary>
    private sealed class Coordinator : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly List<IHostedService> _hosted;
        private readonly TwoPhaseCommitCoordinator _coordinator;
        private readonly NpgsqlTransactionResource _payments;
        private readonly NpgsqlTransactionResource _orders;

        private Coordinator(ServiceProvider services, List<IHostedService> hosted)
        {
            _services = services;
            _hosted = hosted;
            _coordinator = services.GetRequiredService<TwoPhaseCommitCoordinator>();
            _payments = (NpgsqlTransactionResource)_coordinator.GetResource("payments");
            _orders = (NpgsqlTransactionResource)_coordinator.GetResource("orders");
        }

        /// <summary>The file log in <paramref name="logDirectory"/>; with last-resource commit the PostgreSQL decision log in payments' database; with stateless commit none.</summary>
        public static async Task<Coordinator> StartAsync(string payments, string orders, CommitMode mode, string logDirectory, bool waitForPhaseTwo)
        {
            var services = new ServiceCollection();
            services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
            var builder = services.AddTwoPhaseCommit(options =>
                {
                    // Stateless recovery takes every transaction of its prefix: each coordinator here gets its own.
                    options.Prefix = mode == CommitMode.Stateless ? "bench" + Guid.NewGuid().ToString("N")[..8] : "bench";
                    options.NodeId = Guid.NewGuid().ToString("N")[..12];
                    options.DecisionLogPath = Path.Combine(logDirectory, "decisions.log");
                    options.WaitForPhaseTwo = waitForPhaseTwo;
                    options.LastResourceCommit = mode == CommitMode.LastResource;
                    options.StatelessCommit = mode == CommitMode.Stateless;
                })
                .UseNpgsql("payments", payments)
                .UseNpgsql("orders", orders);
            if (mode == CommitMode.LastResource)
            {
                builder.UseNpgsqlDecisionLog(payments);
            }

            var provider = services.BuildServiceProvider();
            var hosted = provider.GetServices<IHostedService>().ToList();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None); // start-up checks and the first recovery pass
            }

            return new Coordinator(provider, hosted);
        }

        public async Task OnceAsync()
        {
            await using var transaction = _coordinator.Begin();
            var payments = await _payments.BeginBranchAsync(transaction);
            var orders = await _orders.BeginBranchAsync(transaction);
            await BenchDatabases.InsertAsync(payments.Connection);
            await BenchDatabases.InsertAsync(orders.Connection);
            await transaction.CommitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await _coordinator.WhenPhaseTwoCompleteAsync();
            foreach (var service in _hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            await _services.DisposeAsync();
        }
    }

    /// <summary>A short run, in process: these are network- and fsync-bound, and need no separate build. 20 iterations, as fsync times on a shared disk vary.</summary>
    private sealed class ShortInProcessConfig : ManualConfig
    {
        public ShortInProcessConfig() =>
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithStrategy(RunStrategy.Throughput)
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(20));
    }
}
