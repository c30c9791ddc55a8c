using FsCheck.Xunit;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>The bank-transfer property of stateless commit, under random faults on either side.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class StatelessBankTransferProperties : IAsyncLifetime
{
    private static readonly StatelessFault[] Faults = Enum.GetValues<StatelessFault>();
    private StatelessBank _bank = null!;

    public async Task InitializeAsync() => _bank = await StatelessBank.CreateAsync("txstatelessprop");

    public async Task DisposeAsync() => await _bank.DisposeAsync();

    /// <summary>
    /// Each byte is a transfer of 1..10 from payments to a new order with one fault on one side: a lost answer, a
    /// failure before sending, a hang past the timeout, the session killed before or after it prepared, a failed first
    /// COMMIT PREPARED. Each caller is told the truth (committed exactly when every branch prepared), and after another
    /// instance's recovery money is conserved, every transfer is as its caller was told, and nothing is left prepared.
    /// "In doubt" is a truthful answer too: with the 500 ms timeout of a hanging transfer, a loaded machine can end it
    /// before the participants settled; recovery then decides, both or neither.
    /// </summary>
    [Property(MaxTest = 6, EndSize = 14)]
    public async Task Money_is_conserved_and_every_caller_is_told_the_truth_under_random_faults(byte[] transfers)
    {
        var balanceBefore = await _bank.Bank.BalanceAsync();
        var ordersBefore = await _bank.Bank.OrdersTotalAsync();
        var outcomes = new List<(string Id, long Amount, bool? Committed)>();
        var coordinator = _bank.NewInstance();
        foreach (var code in transfers.Take(14))
        {
            var fault = Faults[code % Faults.Length];
            var onDebit = code / Faults.Length % 2 == 0;
            var amount = 1 + (code / (2 * Faults.Length) % 10);
            var orderId = Guid.NewGuid().ToString("N");
            var debit = await _bank.Payments.OpenBranchAsync();
            var credit = await _bank.Orders.OpenBranchAsync();
            await BankDatabases.TransferAsync(debit, credit, orderId, amount);
            await using var transaction = coordinator.Begin(fault == StatelessFault.Hangs ? TimeSpan.FromMilliseconds(500) : null);
            transaction.Enlist(new StatelessFaultParticipant(debit, onDebit ? fault : StatelessFault.None, _bank.Bank.Payments));
            transaction.Enlist(new StatelessFaultParticipant(credit, onDebit ? StatelessFault.None : fault, _bank.Bank.Orders));
            try
            {
                await transaction.CommitAsync();
                Assert.False(StatelessFaultParticipant.Aborts(fault), $"{fault} must abort");
                outcomes.Add((orderId, amount, true));
            }
            catch (TwoPhaseCommitAbortedException error)
            {
                Assert.True(StatelessFaultParticipant.Aborts(fault), $"{fault} must not abort: {error.Message}");
                Assert.Equal([onDebit ? "payments" : "orders"], error.FailedParticipants);
                outcomes.Add((orderId, amount, false));
            }
            catch (TransactionInDoubtException)
            {
                // Recovered at once: its prepared branch holds the bank's row, which the next transfer updates.
                outcomes.Add((orderId, amount, null));
                await _bank.NewInstance().RecoverAsync(CancellationToken.None);
            }
        }

        await coordinator.WhenPhaseTwoCompleteAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _bank.NewInstance().RecoverAsync(CancellationToken.None);

        var debited = balanceBefore - await _bank.Bank.BalanceAsync();
        var credited = await _bank.Bank.OrdersTotalAsync() - ordersBefore;
        Assert.Equal(debited, credited);
        foreach (var (id, amount, committed) in outcomes)
        {
            var ordered = await _bank.OrderAsync(id);
            if (committed is { } told)
            {
                Assert.Equal(told ? amount : 0L, ordered);
            }
            else
            {
                Assert.True(ordered == 0 || ordered == amount, $"an in-doubt transfer of {amount} settled as {ordered}");
            }
        }

        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
    }
}
