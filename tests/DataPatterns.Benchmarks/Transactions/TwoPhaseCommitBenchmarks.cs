using System.Transactions;
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
/// One insert per server, committed: on one database (the baseline), across the primary ("payments") and node2
/// ("orders") with Npgsql + TransactionScope (volatile 2PC, nothing durable, no recovery), and across the same two with
/// this coordinator and its fsync'd file decision log. An operation is <see cref="Clients"/> transactions run at once,
/// so throughput is Clients / Mean. Servers: DATAPATTERNS_PG_PRIMARY and DATAPATTERNS_PG_NODE2 (eng/services.sh up).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcessConfig))]
public class TwoPhaseCommitBenchmarks
{
    private const string Database = "dp_bench_2pc";
    private static readonly HashSet<string> Created = [];
    private readonly string _logDirectory = Path.Combine(Path.GetTempPath(), $"dp-bench-2pc-{Guid.NewGuid():N}");
    private NpgsqlDataSource _single = null!;
    private NpgsqlDataSource _paymentsEnlisting = null!;
    private NpgsqlDataSource _ordersEnlisting = null!;
    private NpgsqlTransactionResource _payments = null!;
    private NpgsqlTransactionResource _orders = null!;
    private FileDecisionLog _log = null!;
    private TwoPhaseCommitCoordinator _coordinator = null!;

    /// <summary>Concurrent clients, each committing one transaction per operation.</summary>
    [Params(1, 16)]
    public int Clients { get; set; }

    private static string Primary => Server("DATAPATTERNS_PG_PRIMARY", 55432);

    private static string Node2 => Server("DATAPATTERNS_PG_NODE2", 55434);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var payments = await CreateDatabaseAsync(Primary);
        var orders = await CreateDatabaseAsync(Node2);
        _single = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(payments) { Enlist = false });
        _paymentsEnlisting = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(payments) { Enlist = true });
        _ordersEnlisting = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(orders) { Enlist = true });
        _payments = NpgsqlTransactionResource.Create("payments", payments);
        _orders = NpgsqlTransactionResource.Create("orders", orders);
        Directory.CreateDirectory(_logDirectory);
        _log = new FileDecisionLog(Path.Combine(_logDirectory, "decisions.log"));
        _coordinator = new TwoPhaseCommitCoordinator(
            new TwoPhaseCommitOptions { Prefix = "bench", NodeId = Guid.NewGuid().ToString("N")[..12] },
            _log,
            [_payments, _orders]);
        await _coordinator.ValidateResourcesAsync(CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _coordinator.DisposeAsync();
        await _log.DisposeAsync();
        await _payments.DisposeAsync();
        await _orders.DisposeAsync();
        await _single.DisposeAsync();
        await _paymentsEnlisting.DisposeAsync();
        await _ordersEnlisting.DisposeAsync();
        Directory.Delete(_logDirectory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "single database: BEGIN; INSERT; COMMIT")]
    public Task SingleDatabase() => RunClientsAsync(SingleDatabaseOnceAsync);

    [Benchmark(Description = "Npgsql + TransactionScope, two servers (no durable decision)")]
    public Task TransactionScopeTwoServers() => RunClientsAsync(TransactionScopeOnceAsync);

    [Benchmark(Description = "TwoPhaseCommitCoordinator, two servers, fsync'd log")]
    public Task CoordinatorTwoServers() => RunClientsAsync(CoordinatorOnceAsync);

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
        await InsertAsync(connection);
        await transaction.CommitAsync();
    }

    private async Task TransactionScopeOnceAsync()
    {
        using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
        await using (var payments = await _paymentsEnlisting.OpenConnectionAsync())
        {
            await InsertAsync(payments);
        }

        await using (var orders = await _ordersEnlisting.OpenConnectionAsync())
        {
            await InsertAsync(orders);
        }

        scope.Complete();
    }

    private async Task CoordinatorOnceAsync()
    {
        await using var transaction = _coordinator.Begin();
        var payments = await _payments.BeginBranchAsync(transaction);
        var orders = await _orders.BeginBranchAsync(transaction);
        await InsertAsync(payments.Connection);
        await InsertAsync(orders.Connection);
        await transaction.CommitAsync();
    }

    private static async Task InsertAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("INSERT INTO bench (v) VALUES (1)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> CreateDatabaseAsync(string server)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = Database, MaxPoolSize = 64 }.ConnectionString;
        if (Created.Contains(server))
        {
            // Every case runs in this process: the database of the first case is reused (dropping it would kill the pools).
            return connectionString;
        }

        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var table = new NpgsqlCommand("CREATE TABLE bench (id bigserial PRIMARY KEY, v int NOT NULL)", connection);
        await table.ExecuteNonQueryAsync();
        Created.Add(server);
        return connectionString;
    }

    private static string Server(string variable, int defaultPort) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : $"Host=127.0.0.1;Port={defaultPort};Username=postgres;Database=postgres";

    /// <summary>A short run, in process: these are network- and fsync-bound, and need no separate build.</summary>
    private sealed class ShortInProcessConfig : ManualConfig
    {
        public ShortInProcessConfig() =>
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithStrategy(RunStrategy.Throughput)
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(10));
    }
}
