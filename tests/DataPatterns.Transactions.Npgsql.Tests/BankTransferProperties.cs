using FsCheck.Xunit;

namespace DataPatterns.Transactions.Npgsql.Tests;

public sealed class BankTransferProperties : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dp-txprop-").FullName;
    private BankDatabases _bank = null!;
    private NpgsqlTransactionResource _payments = null!;
    private NpgsqlTransactionResource _orders = null!;

    public async Task InitializeAsync()
    {
        _bank = await BankDatabases.CreateAsync("txprop");
        _payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        _orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);
    }

    public async Task DisposeAsync()
    {
        await _payments.DisposeAsync();
        await _orders.DisposeAsync();
        await _bank.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// Each byte is a transfer of 1..10 from payments to a new order, with a fault injected into one side: a failed
    /// prepare, a transient COMMIT PREPARED failure, a prepare timeout, or the participant's server session killed before
    /// or after it prepared. After recovery the money is conserved and every transfer is all-or-nothing.
    /// </summary>
    [Property(MaxTest = 6, EndSize = 12)]
    public async Task Money_is_conserved_and_every_transfer_is_all_or_nothing_under_random_faults(byte[] transfers)
    {
        var balanceBefore = await _bank.BalanceAsync();
        var ordersBefore = await _bank.OrdersTotalAsync();
        var logPath = Path.Combine(_directory, $"{Guid.NewGuid():N}.log");
        var outcomes = new List<(string Id, long Amount)>();
        await using (var log = new FileDecisionLog(logPath))
        await using (var coordinator = new TwoPhaseCommitCoordinator(_bank.Options(), log, [_payments, _orders]))
        {
            foreach (var code in transfers.Take(12))
            {
                var fault = (InjectedFault)(code % 6);
                var onDebit = code / 6 % 2 == 0;
                var amount = 1 + (code / 12 % 10);
                var orderId = Guid.NewGuid().ToString("N");
                outcomes.Add((orderId, amount));
                var debit = await _payments.OpenBranchAsync();
                var credit = await _orders.OpenBranchAsync();
                await BankDatabases.TransferAsync(debit, credit, orderId, amount);
                await using var transaction = coordinator.Begin(fault == InjectedFault.PrepareTimesOut ? TimeSpan.FromMilliseconds(300) : null);
                transaction.Enlist(new FaultInjectingParticipant(debit, onDebit ? fault : InjectedFault.None, _bank.Payments));
                transaction.Enlist(new FaultInjectingParticipant(credit, onDebit ? InjectedFault.None : fault, _bank.Orders));
                try
                {
                    await transaction.CommitAsync();
                    Assert.True(fault is InjectedFault.None or InjectedFault.CommitFailsOnce or InjectedFault.RestartAfterPrepare, $"{fault} must abort");
                }
                catch (TwoPhaseCommitAbortedException error)
                {
                    Assert.True(fault is InjectedFault.PrepareFails or InjectedFault.PrepareTimesOut or InjectedFault.RestartBeforePrepare, $"{fault} must not abort: {error.Message}");
                    Assert.Equal([onDebit ? "payments" : "orders"], error.FailedParticipants);
                }
            }

            await coordinator.WhenPhaseTwoCompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        // A fresh coordinator resolves whatever is left (a branch whose PREPARE completed after the timeout).
        await using (var log = new FileDecisionLog(logPath))
        await using (var fresh = new TwoPhaseCommitCoordinator(_bank.Options(), log, [_payments, _orders]))
        {
            await fresh.RecoverAsync(CancellationToken.None);
            Assert.Empty(await log.ReadCommittedAsync(CancellationToken.None));
        }

        var debited = balanceBefore - await _bank.BalanceAsync();
        var credited = await _bank.OrdersTotalAsync() - ordersBefore;
        Assert.Equal(debited, credited);
        foreach (var (id, amount) in outcomes)
        {
            Assert.Contains(await _bank.OrderAmountAsync(id), new[] { 0L, amount });
        }

        Assert.Equal(0, await _bank.PreparedLeftAsync());
    }

    /// <summary>
    /// The same with last-resource commit: payments (which holds the decision table) commits with the decision, orders
    /// is prepared. Each byte injects one fault: on orders, the faults above; on payments, the loss of its commit's
    /// answer (the commit happened: the fence finds the decision and the transfer commits), a failure before the commit
    /// or its session killed just before it (the fence aborts, orders is rolled back). After recovery the money is
    /// conserved, every transfer is all-or-nothing, and the caller was told the truth about each.
    /// </summary>
    [Property(MaxTest = 6, EndSize = 12)]
    public async Task With_last_resource_commit_money_is_conserved_and_every_transfer_is_all_or_nothing_under_random_faults(byte[] transfers)
    {
        var balanceBefore = await _bank.BalanceAsync();
        var ordersBefore = await _bank.OrdersTotalAsync();
        var options = _bank.Options();
        options.LastResourceCommit = true;
        var outcomes = new List<(string Id, long Amount, bool Committed)>();
        await using (var log = NpgsqlDecisionLog.Create(_bank.Payments))
        await using (var coordinator = new TwoPhaseCommitCoordinator(options, log, [_payments, _orders]))
        {
            foreach (var code in transfers.Take(12))
            {
                var onPayments = code % 2 == 0;
                var ordersFault = onPayments ? InjectedFault.None : (InjectedFault)(code / 2 % 6);
                var paymentsFault = onPayments ? (LastResourceFault)(code / 2 % 4) : LastResourceFault.None;
                var amount = 1 + (code / 24 % 10);
                var orderId = Guid.NewGuid().ToString("N");
                var debit = await _payments.OpenBranchAsync();
                var credit = await _orders.OpenBranchAsync();
                await BankDatabases.TransferAsync(debit, credit, orderId, amount);
                await using var transaction = coordinator.Begin(ordersFault == InjectedFault.PrepareTimesOut ? TimeSpan.FromMilliseconds(300) : null);
                transaction.Enlist(new LastResourceFaultInjectingParticipant(debit, paymentsFault, _bank.Payments));
                transaction.Enlist(new FaultInjectingParticipant(credit, ordersFault, _bank.Orders));
                var mustAbort = ordersFault is InjectedFault.PrepareFails or InjectedFault.PrepareTimesOut or InjectedFault.RestartBeforePrepare
                    || paymentsFault is LastResourceFault.FailsBeforeCommit or LastResourceFault.SessionKilledBeforeCommit;
                try
                {
                    await transaction.CommitAsync();
                    Assert.False(mustAbort, $"orders {ordersFault} / payments {paymentsFault} must abort");
                    outcomes.Add((orderId, amount, true));
                }
                catch (TwoPhaseCommitAbortedException error)
                {
                    Assert.True(mustAbort, $"orders {ordersFault} / payments {paymentsFault} must not abort: {error.Message}");
                    Assert.Equal([onPayments ? "payments" : "orders"], error.FailedParticipants);
                    outcomes.Add((orderId, amount, false));
                }
            }

            await coordinator.WhenPhaseTwoCompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        await using (var log = NpgsqlDecisionLog.Create(_bank.Payments))
        await using (var fresh = new TwoPhaseCommitCoordinator(options, log, [_payments, _orders]))
        {
            await fresh.RecoverAsync(CancellationToken.None);
            Assert.Empty(await log.ReadCommittedAsync(CancellationToken.None));
        }

        var debited = balanceBefore - await _bank.BalanceAsync();
        var credited = await _bank.OrdersTotalAsync() - ordersBefore;
        Assert.Equal(debited, credited);
        foreach (var (id, amount, committed) in outcomes)
        {
            Assert.Equal(committed ? amount : 0L, await _bank.OrderAmountAsync(id)); // exactly what the caller was told
        }

        Assert.Equal(0, await _bank.PreparedLeftAsync());
    }
}
