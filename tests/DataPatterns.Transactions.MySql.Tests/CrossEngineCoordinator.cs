using DataPatterns.Transactions.Npgsql;

namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>The bank's two databases as resources ("payments" on PostgreSQL, "orders" on MariaDB), a log and a coordinator.</summary>
internal sealed class CrossEngineCoordinator<TLog> : IAsyncDisposable
    where TLog : IDecisionLog, IAsyncDisposable
{
    private readonly string _directory;

    private CrossEngineCoordinator(CrossEngineBank bank, string directory, Func<CrossEngineBank, string, TLog> log, Func<CrossEngineBank, TwoPhaseCommitOptions> options)
    {
        Bank = bank;
        _directory = directory;
        Payments = NpgsqlTransactionResource.Create("payments", bank.Payments);
        Orders = MySqlTransactionResource.Create("orders", bank.Orders);
        Log = log(bank, directory);
        Coordinator = new TwoPhaseCommitCoordinator(options(bank), Log, [Payments, Orders]);
    }

    public CrossEngineBank Bank { get; }

    public NpgsqlTransactionResource Payments { get; }

    public MySqlTransactionResource Orders { get; }

    public TLog Log { get; }

    public TwoPhaseCommitCoordinator Coordinator { get; }

    public static async Task<CrossEngineCoordinator<TLog>> CreateAsync(string purpose, Func<CrossEngineBank, string, TLog> log, Func<CrossEngineBank, TwoPhaseCommitOptions>? options = null, string? ordersServer = null)
    {
        var bank = await CrossEngineBank.CreateAsync(purpose, ordersServer);
        var directory = Directory.CreateTempSubdirectory("dpxa-" + purpose + "-").FullName;
        return new CrossEngineCoordinator<TLog>(bank, directory, log, options ?? (static b => b.Options()));
    }

    public async ValueTask DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        await Log.DisposeAsync();
        await Payments.DisposeAsync();
        await Orders.DisposeAsync();
        await Bank.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
