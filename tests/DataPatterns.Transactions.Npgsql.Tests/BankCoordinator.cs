namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// The bank's two databases as transaction resources ("payments" and "orders"), a decision log and a coordinator over
/// them: the set-up most commit tests share. Disposes all of it, the coordinator first.
/// </summary>
/// <typeparam name="TLog">The decision log the test needs (a file log, or the log in payments' database).</typeparam>
internal sealed class BankCoordinator<TLog> : IAsyncDisposable
    where TLog : IDecisionLog, IAsyncDisposable
{
    private readonly string _directory;

    private BankCoordinator(BankDatabases bank, string directory, Func<BankDatabases, string, TLog> log, Func<BankDatabases, TwoPhaseCommitOptions> options)
    {
        Bank = bank;
        _directory = directory;
        Payments = NpgsqlTransactionResource.Create("payments", bank.Payments);
        Orders = NpgsqlTransactionResource.Create("orders", bank.Orders);
        Log = log(bank, directory);
        Coordinator = new TwoPhaseCommitCoordinator(options(bank), Log, [Payments, Orders]);
    }

    public BankDatabases Bank { get; }

    public NpgsqlTransactionResource Payments { get; }

    public NpgsqlTransactionResource Orders { get; }

    public TLog Log { get; }

    public TwoPhaseCommitCoordinator Coordinator { get; }

    /// <summary>Creates the databases; <paramref name="log"/> gets them and a fresh temporary directory (deleted on dispose).</summary>
    public static async Task<BankCoordinator<TLog>> CreateAsync(string purpose, Func<BankDatabases, string, TLog> log, Func<BankDatabases, TwoPhaseCommitOptions>? options = null)
    {
        var bank = await BankDatabases.CreateAsync(purpose);
        var directory = Directory.CreateTempSubdirectory("dp-" + purpose + "-").FullName;
        return new BankCoordinator<TLog>(bank, directory, log, options ?? (static b => b.Options()));
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
