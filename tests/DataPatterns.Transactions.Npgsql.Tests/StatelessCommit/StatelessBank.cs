using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// The bank's two databases as resources and any number of stateless coordinators over them (the "instances" of a
/// stateless service): what the stateless commit tests share. Disposes the coordinators first.
/// </summary>
internal sealed class StatelessBank : IAsyncDisposable
{
    private readonly List<TwoPhaseCommitCoordinator> _instances = [];

    private StatelessBank(BankDatabases bank)
    {
        Bank = bank;
        Payments = NpgsqlTransactionResource.Create("payments", bank.Payments);
        Orders = NpgsqlTransactionResource.Create("orders", bank.Orders);
    }

    public BankDatabases Bank { get; }

    public NpgsqlTransactionResource Payments { get; }

    public NpgsqlTransactionResource Orders { get; }

    /// <summary>Payments on the primary; orders on node2, or on <paramref name="ordersServer"/> when given.</summary>
    public static async Task<StatelessBank> CreateAsync(string purpose, TestServer? ordersServer = null) =>
        new(await BankDatabases.CreateAsync(purpose, ordersServer));

    /// <summary>A new instance: a coordinator with no memory of any other's transactions.</summary>
    public TwoPhaseCommitCoordinator NewInstance(Action<TwoPhaseCommitOptions>? configure = null)
    {
        var options = Bank.StatelessOptions();
        configure?.Invoke(options);
        var coordinator = new TwoPhaseCommitCoordinator(options, decisionLog: null, [Payments, Orders]);
        _instances.Add(coordinator);
        return coordinator;
    }

    /// <summary>
    /// Moves 10 from <paramref name="account"/> (created with 1000 when missing) to a new order row, on branches of
    /// <paramref name="transaction"/>; <paramref name="wrapOrders"/> may wrap the orders branch. A transaction left
    /// prepared keeps its account's row locked, so tests that leave several use an account each.
    /// </summary>
    public async Task TransferAsync(DistributedTransaction transaction, string orderId, Func<NpgsqlTransactionBranch, ITransactionParticipant>? wrapOrders = null, int account = 1)
    {
        await BankDatabases.ExecuteAsync(Bank.Payments, $"INSERT INTO accounts VALUES ({account}, 1000) ON CONFLICT DO NOTHING");
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        NpgsqlTransactionBranch credit;
        if (wrapOrders is null)
        {
            credit = await transaction.EnlistNpgsqlAsync("orders");
        }
        else
        {
            credit = await Orders.OpenBranchAsync();
            transaction.Enlist(wrapOrders(credit));
        }

        await using (var command = new NpgsqlCommand($"UPDATE accounts SET balance = balance - 10 WHERE id = {account}", debit.Connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using (var command = new NpgsqlCommand("INSERT INTO orders (id, amount) VALUES ($1, 10)", credit.Connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orderId });
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// A transfer whose coordinator dies at <paramref name="step"/> (every later step of it never happens): at
    /// FirstPrepared orders hangs without sending its prepare, so payments is left prepared and orders open; at
    /// AllPrepared both are left prepared. Each call is a coordinator of its own.
    /// </summary>
    public async Task<DistributedTransaction> LeaveAsync(string orderId, TransactionProtocolStep step, int account = 1)
    {
        var gone = NewInstance();
        gone.StepObserver = (current, _) => current == step ? throw new OperationCanceledException("the coordinator died here") : ValueTask.CompletedTask;
        var ordersHangs = step == TransactionProtocolStep.FirstPrepared;
        var transaction = gone.Begin(TimeSpan.FromSeconds(ordersHangs ? 3 : 30)); // the hung orders branch ends at the timeout
        await TransferAsync(transaction, orderId, ordersHangs ? branch => new StatelessFaultParticipant(branch, StatelessFault.Hangs) : null, account);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transaction.CommitAsync().AsTask());
        return transaction;
    }

    /// <summary>What is left on every account but the first.</summary>
    public async Task<long> OtherAccountsAsync() =>
        (long)(await BankDatabases.ScalarAsync(Bank.Payments, "SELECT coalesce(sum(balance), 0)::bigint FROM accounts WHERE id <> 1"))!;

    /// <summary>Both-or-neither for one order: (debited by it, credited to it) is (10, 10) or (0, 0) overall.</summary>
    public async Task<long> OrderAsync(string orderId) => await Bank.OrderAmountAsync(orderId);

    /// <summary>Makes every marker of this class look <paramref name="age"/> older (the clean-up's ages are the server's).</summary>
    public async Task AgeMarkersAsync(TimeSpan age, bool? fenced = null)
    {
        var filter = fenced is { } f ? $" AND fenced = {f}" : string.Empty;
        foreach (var database in new[] { Bank.Payments, Bank.Orders })
        {
            await BankDatabases.ExecuteAsync(database, $"UPDATE datapatterns_2pc_markers SET written_at = written_at - interval '{(long)age.TotalSeconds} seconds' WHERE starts_with(gid, '{Bank.StatelessGlobalIdPrefix}'){filter}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await Payments.DisposeAsync();
        await Orders.DisposeAsync();
        await Bank.DisposeAsync();
    }
}
