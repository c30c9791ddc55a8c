using System.Transactions;

namespace DataPatterns.Transactions.Tests.SystemTransactions;

public sealed class TransactionScopeTests
{
    [Fact]
    public async Task A_completed_scope_commits_through_the_coordinator_on_linux()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        DistributedTransaction transaction;
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            transaction = coordinator.JoinAmbientTransaction();
            Assert.Same(transaction, coordinator.JoinAmbientTransaction());
            bank.Payments.Begin(transaction, "alice", -10);
            bank.Orders.Begin(transaction, "order-1", 10);
            await Task.Yield();
            scope.Complete();
        }

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal((-10L, 10L), (bank.Payments["alice"], bank.Orders["order-1"]));
        Assert.Equal(1, bank.Log.Records);
    }

    [Fact]
    public async Task A_scope_that_is_not_completed_rolls_back()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        FakeBranch payment;
        using (new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            var transaction = coordinator.JoinAmbientTransaction();
            payment = bank.Payments.Begin(transaction, "alice", -10);
            bank.Orders.Begin(transaction, "order-1", 10);
        }

        await WaitUntilAsync(() => payment.RolledBack);
        Assert.Equal(0, bank.Payments["alice"]);
    }

    [Fact]
    public async Task A_no_vote_makes_the_scope_throw_transaction_aborted()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
        var transaction = coordinator.JoinAmbientTransaction();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10).Vote = PrepareVote.No;
        scope.Complete();

        var error = Assert.Throws<TransactionAbortedException>(scope.Dispose);

        Assert.IsType<TwoPhaseCommitAbortedException>(error.InnerException);
        Assert.Equal(0, bank.Payments["alice"]);
    }

    [Fact]
    public async Task Joining_without_an_ambient_transaction_says_what_to_do()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();

        var error = Assert.Throws<TransactionStateException>(coordinator.JoinAmbientTransaction);

        Assert.Contains("TransactionScope", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
