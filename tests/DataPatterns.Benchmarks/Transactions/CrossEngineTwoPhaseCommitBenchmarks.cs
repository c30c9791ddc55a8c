using BenchmarkDotNet.Attributes;
using DataPatterns.Transactions;
using DataPatterns.Transactions.MySql;
using DataPatterns.Transactions.Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Npgsql;

namespace DataPatterns.Benchmarks.Transactions;

/// <summary>
/// One insert in PostgreSQL ("payments", the primary) and one in MariaDB ("orders", the MariaDB primary), committed in
/// one transaction by the coordinator set up as an application would (AddTwoPhaseCommit().UseNpgsql(...).UseMySql(...),
/// the recovery hosted service started), once with the embedded fsync'd file decision log and once with the decision
/// log in MariaDB (UseMySqlDecisionLog). Beside it, in the same run, its floors: one local commit on each engine alone
/// (PostgreSQL is the baseline), two local commits in parallel (not atomic), and the bare protocol with no log and no
/// recovery: BEGIN..PREPARE TRANSACTION on PostgreSQL beside XA START..XA END..XA PREPARE on MariaDB, then COMMIT
/// PREPARED beside XA COMMIT. Both servers commit durably (fsync = on; innodb_flush_log_at_trx_commit = 1 and
/// sync_binlog = 1). An operation is <see cref="Clients"/> transactions run at once, so throughput is Clients / Mean.
/// Run: <c>--filter '*CrossEngine*' --job short --iterationCount 15 --inProcess</c>.
/// </summary>
[MemoryDiagnoser]
public class CrossEngineTwoPhaseCommitBenchmarks
{
    private readonly string _logDirectory = Path.Combine(Path.GetTempPath(), $"dp-bench-xacross-{Guid.NewGuid():N}");
    private NpgsqlDataSource _payments = null!;
    private MySqlDataSource _orders = null!;
    private CrossEngineCoordinator _fileLog = null!;
    private CrossEngineCoordinator _mariaDbLog = null!;

    /// <summary>Concurrent clients, each committing one transaction per operation.</summary>
    [Params(1, 16)]
    public int Clients { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var payments = await BenchDatabases.CreateAsync(BenchDatabases.Primary);
        var orders = await CrossEngineBenchDatabases.CreateAsync(CrossEngineBenchDatabases.MariaDbPrimary);
        _payments = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(payments) { Enlist = false });
        _orders = new MySqlDataSource(orders);
        _fileLog = await CrossEngineCoordinator.StartAsync(payments, orders, Path.Combine(_logDirectory, "decisions.log"), mariaDbLog: false);
        _mariaDbLog = await CrossEngineCoordinator.StartAsync(payments, orders, Path.Combine(_logDirectory, "unused.log"), mariaDbLog: true);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _fileLog.DisposeAsync();
        await _mariaDbLog.DisposeAsync();
        await _payments.DisposeAsync();
        await _orders.DisposeAsync();
        Directory.Delete(_logDirectory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "PostgreSQL alone: BEGIN; INSERT; COMMIT")]
    public Task PostgresLocalCommit() => RunClientsAsync(PostgresOnceAsync);

    [Benchmark(Description = "MariaDB alone: BEGIN; INSERT; COMMIT")]
    public Task MariaDbLocalCommit() => RunClientsAsync(MariaDbOnceAsync);

    [Benchmark(Description = "both engines, two local commits in parallel (NOT atomic)")]
    public Task TwoLocalCommits() => RunClientsAsync(TwoLocalCommitsOnceAsync);

    [Benchmark(Description = "bare PREPARE TRANSACTION ‖ XA PREPARE, then COMMIT PREPARED ‖ XA COMMIT (no log, no recovery)")]
    public Task BareTwoPhase() => RunClientsAsync(BareTwoPhaseOnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, PostgreSQL + MariaDB, fsync'd file log")]
    public Task CoordinatorFileLog() => RunClientsAsync(_fileLog.OnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, PostgreSQL + MariaDB, decision log in MariaDB")]
    public Task CoordinatorMariaDbLog() => RunClientsAsync(_mariaDbLog.OnceAsync);

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

    private async Task PostgresOnceAsync()
    {
        await using var connection = await _payments.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(connection);
        await transaction.CommitAsync();
    }

    private async Task MariaDbOnceAsync()
    {
        await using var connection = await _orders.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await CrossEngineBenchDatabases.InsertAsync(connection, transaction);
        await transaction.CommitAsync();
    }

    private async Task TwoLocalCommitsOnceAsync()
    {
        await using var payments = await _payments.OpenConnectionAsync();
        await using var orders = await _orders.OpenConnectionAsync();
        await using var paymentsTransaction = await payments.BeginTransactionAsync();
        await using var ordersTransaction = await orders.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(payments);
        await CrossEngineBenchDatabases.InsertAsync(orders, ordersTransaction);
        await Task.WhenAll(paymentsTransaction.CommitAsync(), ordersTransaction.CommitAsync());
    }

    /// <summary>The protocol's floor across the two engines: nothing durable besides the branches, nothing to recover with.</summary>
    private async Task BareTwoPhaseOnceAsync()
    {
        var gid = Guid.NewGuid().ToString("N");
        var xid = CrossEngineBenchDatabases.BareXidPrefix + gid;
        await using var payments = await _payments.OpenConnectionAsync();
        await using var orders = await _orders.OpenConnectionAsync();
        // The PostgreSQL transaction ends with PREPARE, so it is not disposed (no ROLLBACK).
        await payments.BeginTransactionAsync();
        await BenchDatabases.InsertAsync(payments);
        await CrossEngineBenchDatabases.ExecuteAsync(orders, $"XA START '{xid}'");
        await CrossEngineBenchDatabases.InsertAsync(orders);
        await Task.WhenAll(
            BenchDatabases.ExecuteAsync(payments, $"PREPARE TRANSACTION 'x{gid}'"),
            CrossEngineBenchDatabases.ExecuteAsync(orders, $"XA END '{xid}'; XA PREPARE '{xid}'"));

        await Task.WhenAll(
            BenchDatabases.ExecuteAsync(payments, $"COMMIT PREPARED 'x{gid}'"),
            CrossEngineBenchDatabases.ExecuteAsync(orders, $"XA COMMIT '{xid}'"));
    }

    /// <summary>A coordinator as an application sets it up: DI, the recovery hosted service started.</summary>
    private sealed class CrossEngineCoordinator : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly List<IHostedService> _hosted;
        private readonly TwoPhaseCommitCoordinator _coordinator;

        private CrossEngineCoordinator(ServiceProvider services, List<IHostedService> hosted)
        {
            _services = services;
            _hosted = hosted;
            _coordinator = services.GetRequiredService<TwoPhaseCommitCoordinator>();
        }

        /// <summary>The file log at <paramref name="logPath"/>, or with <paramref name="mariaDbLog"/> the decision table in orders' database.</summary>
        public static async Task<CrossEngineCoordinator> StartAsync(string payments, string orders, string logPath, bool mariaDbLog)
        {
            var services = new ServiceCollection();
            services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
            var builder = services.AddTwoPhaseCommit(options =>
                {
                    options.Prefix = "benchxa";
                    options.NodeId = Guid.NewGuid().ToString("N")[..12];
                    options.DecisionLogPath = logPath;
                })
                .UseNpgsql("payments", payments)
                .UseMySql("orders", orders);
            if (mariaDbLog)
            {
                builder.UseMySqlDecisionLog(orders);
            }

            var provider = services.BuildServiceProvider();
            var hosted = provider.GetServices<IHostedService>().ToList();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None); // start-up checks and the first recovery pass
            }

            return new CrossEngineCoordinator(provider, hosted);
        }

        public async Task OnceAsync()
        {
            await using var transaction = _coordinator.Begin();
            var payments = await transaction.EnlistNpgsqlAsync("payments");
            var orders = await transaction.EnlistMySqlAsync("orders");
            await BenchDatabases.InsertAsync(payments.Connection);
            await CrossEngineBenchDatabases.InsertAsync(orders.Connection);
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
}
