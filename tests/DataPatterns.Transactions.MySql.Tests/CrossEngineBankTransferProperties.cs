using DataPatterns.Transactions.Npgsql;
using FsCheck.Xunit;

namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>Transfers from PostgreSQL payments to MariaDB orders under random faults on either engine.</summary>
public sealed class CrossEngineBankTransferProperties : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dpxa-prop-").FullName;
    private CrossEngineBank _bank = null!;
    private NpgsqlTransactionResource _payments = null!;
    private MySqlTransactionResource _orders = null!;

    public async Task InitializeAsync()
    {
        _bank = await CrossEngineBank.CreateAsync("xaprop");
        _payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        _orders = MySqlTransactionResource.Create("orders", _bank.Orders);
    }

    public async Task DisposeAsync()
    {
        await _payments.DisposeAsync();
        await _orders.DisposeAsync();
        await _bank.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// Each byte is a transfer of 1..10 from payments (PostgreSQL) to a new order (MariaDB), with a fault injected into one
    /// side: a failed prepare, a transient phase-2 failure, a prepare timeout, or the participant's server session killed
    /// before or after it prepared. After recovery the money is conserved, every transfer is both-or-neither, and nothing
    /// is left in pg_prepared_xacts or XA RECOVER.
    /// </summary>
    [Property(MaxTest = 6, EndSize = 12)]
    public async Task Money_is_conserved_and_every_transfer_is_both_or_neither_under_faults_on_both_engines(byte[] transfers)
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
                var fault = (CrossEngineFault)(code % 6);
                var onDebit = code / 6 % 2 == 0;
                var amount = 1 + (code / 12 % 10);
                var orderId = Guid.NewGuid().ToString("N");
                outcomes.Add((orderId, amount));
                await using var transaction = coordinator.Begin(fault == CrossEngineFault.PrepareTimesOut ? TimeSpan.FromMilliseconds(500) : null);
                var debit = await _payments.OpenBranchAsync();
                var credit = await _orders.OpenBranchAsync();
                transaction.Enlist(new CrossEngineFaultParticipant(debit, onDebit ? fault : CrossEngineFault.None, _bank.Payments));
                var creditId = transaction.Enlist(new CrossEngineFaultParticipant(credit, onDebit ? CrossEngineFault.None : fault, _bank.OrdersServer));
                await credit.StartAsync(creditId);
                await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, orderId, amount);
                try
                {
                    await transaction.CommitAsync();
                    Assert.True(fault is CrossEngineFault.None or CrossEngineFault.CommitFailsOnce or CrossEngineFault.SessionKilledAfterPrepare, $"{fault} must abort");
                }
                catch (TwoPhaseCommitAbortedException error)
                {
                    Assert.True(fault is CrossEngineFault.PrepareFails or CrossEngineFault.PrepareTimesOut or CrossEngineFault.SessionKilledBeforePrepare, $"{fault} must not abort: {error.Message}");
                    Assert.Equal([onDebit ? "payments" : "orders"], error.FailedParticipants);
                }
            }

            await coordinator.WhenPhaseTwoCompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        // A fresh coordinator resolves whatever is left (a branch whose prepare completed after the timeout).
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
}
