using FsCheck.Xunit;

namespace DataPatterns.Transactions.Tests.Recovery;

public sealed class BankTransferProperties
{
    /// <summary>
    /// Each byte is one transfer of 1..10 from "payments" to "orders" with a fault picked from it: none, a no vote, a
    /// prepare failure, a hung prepare (timeout), a commit that fails transiently, a participant down in phase 2, or a
    /// crash of the coordinator at one of the four protocol steps (then a fresh coordinator recovers).
    /// </summary>
    [Property(MaxTest = 60)]
    public async Task Money_is_conserved_and_every_transfer_is_all_or_nothing(byte[] transfers)
    {
        var bank = new Bank();
        bank.Payments["account"] = 1_000;
        var coordinator = bank.Coordinator();
        var outcomes = new List<(int Amount, string Key)>();
        for (var i = 0; i < transfers.Length; i++)
        {
            var fault = transfers[i] % 10;
            var amount = 1 + (transfers[i] / 10 % 10);
            var key = $"transfer-{i}";
            var transaction = coordinator.Begin(TimeSpan.FromSeconds(5));
            var debit = bank.Payments.Begin(transaction, "account", -amount);
            var credit = bank.Orders.Begin(transaction, key, amount);
            outcomes.Add((amount, key));
            switch (fault)
            {
                case 1: credit.Vote = PrepareVote.No; break;
                case 2: debit.ThrowOnPrepare = true; break;
                case 3: credit.FailCommitTimes = 1; break;
                case 4: bank.Orders.Down = false; credit.FailCommitTimes = 3; break;
                default: break;
            }

            if (fault >= 6)
            {
                var step = (TransactionProtocolStep)(fault - 6);
                await Crash.CommitUntilAsync(coordinator, transaction, step);
                coordinator = bank.Coordinator(); // the fresh process
                await coordinator.RecoverAsync(CancellationToken.None);
                continue;
            }

            if (fault == 5)
            {
                credit.HangOnPrepare = true;
                var commit = transaction.CommitAsync().AsTask();
                bank.Time.Advance(TimeSpan.FromSeconds(5));
                await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => commit.WaitAsync(TimeSpan.FromSeconds(10)));
                continue;
            }

            try
            {
                await transaction.CommitAsync();
            }
            catch (TwoPhaseCommitAbortedException)
            {
                Assert.True(fault is 1 or 2, $"only a no vote or a failed prepare aborts (fault {fault})");
            }

            // Background phase-2 retries run on the fake clock.
            for (var tick = 0; tick < 4 && coordinator.InFlightCount > 0; tick++)
            {
                bank.Time.Advance(TimeSpan.FromSeconds(4));
                await coordinator.WhenPhaseTwoCompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        await using var final = bank.Coordinator();
        await final.RecoverAsync(CancellationToken.None);

        Assert.Equal(1_000, bank.Payments.Total + bank.Orders.Total);
        Assert.Empty(bank.Payments.PreparedIds);
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.Empty(bank.Log.Open);
        var debited = -(bank.Payments["account"] - 1_000);
        Assert.Equal(debited, outcomes.Sum(o => bank.Orders[o.Key]));
        Assert.All(outcomes, o => Assert.Contains(bank.Orders[o.Key], new long[] { 0, o.Amount }));
    }
}
