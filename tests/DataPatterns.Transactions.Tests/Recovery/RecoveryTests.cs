namespace DataPatterns.Transactions.Tests.Recovery;

public sealed class RecoveryTests
{
    // Steps: 0 after the first prepare, 1 after all prepares, 2 after the decision is logged, 3 after the first commit.
    public static TheoryData<int, bool> Steps => new()
    {
        { (int)TransactionProtocolStep.FirstPrepared, false },
        { (int)TransactionProtocolStep.AllPrepared, false },
        { (int)TransactionProtocolStep.DecisionLogged, true },
        { (int)TransactionProtocolStep.FirstCommitted, true },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task After_a_crash_at_any_step_recovery_commits_both_or_neither(int step, bool committed)
    {
        var bank = new Bank();
        var crashed = bank.Coordinator();
        var transaction = crashed.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await Crash.CommitUntilAsync(crashed, transaction, (TransactionProtocolStep)step);

        await using var fresh = bank.Coordinator();
        var result = await fresh.RecoverAsync(CancellationToken.None);

        Assert.Equal(committed ? -10 : 0, bank.Payments["alice"]);
        Assert.Equal(committed ? 10 : 0, bank.Orders["order-1"]);
        Assert.Empty(bank.Payments.PreparedIds);
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.Empty(bank.Log.Open);
        Assert.Empty(result.UnreachableResources);
    }

    [Fact]
    public async Task A_commit_that_fails_unexpectedly_leaves_the_transaction_to_its_own_nodes_recovery()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        coordinator.StepObserver = static (step, _) => step == TransactionProtocolStep.AllPrepared
            ? throw new InvalidOperationException("a fault the protocol does not handle")
            : ValueTask.CompletedTask;

        await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.CommitAsync().AsTask());
        var result = await coordinator.RecoverAsync(CancellationToken.None);

        Assert.Equal(0, coordinator.InFlightCount);
        Assert.Equal((0, 2), (result.Waiting, result.RolledBack));
        Assert.Empty(bank.Orders.PreparedIds);
    }

    [Fact]
    public async Task A_prepared_branch_younger_than_the_grace_period_is_left_alone()
    {
        var bank = new Bank();
        var crashed = bank.Coordinator();
        var transaction = crashed.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await Crash.CommitUntilAsync(crashed, transaction, TransactionProtocolStep.AllPrepared);
        await using var fresh = bank.Coordinator(grace: TimeSpan.FromMinutes(1));

        var early = await fresh.RecoverAsync(CancellationToken.None);
        bank.Time.Advance(TimeSpan.FromMinutes(1));
        var late = await fresh.RecoverAsync(CancellationToken.None);

        Assert.Equal((0, 2), (early.RolledBack, early.Waiting));
        Assert.Equal(2, late.RolledBack);
        Assert.Empty(bank.Orders.PreparedIds);
    }

    [Fact]
    public async Task Recovery_never_touches_another_nodes_branches()
    {
        var bank = new Bank("node-a");
        var other = new TwoPhaseCommitCoordinator(new TwoPhaseCommitOptions { Prefix = "test", NodeId = "node-b" }, new InMemoryDecisionLog(), [bank.Payments, bank.Orders], bank.Time);
        var foreign = other.Begin();
        bank.Payments.Begin(foreign, "x", 1);
        bank.Orders.Begin(foreign, "y", 1);
        await Crash.CommitUntilAsync(other, foreign, TransactionProtocolStep.AllPrepared);

        await using var mine = bank.Coordinator();
        var result = await mine.RecoverAsync(CancellationToken.None);

        Assert.Equal((0, 0), (result.Committed, result.RolledBack));
        Assert.Equal(2, bank.Payments.PreparedIds.Count + bank.Orders.PreparedIds.Count);
    }

    [Fact]
    public async Task Recovery_leaves_transactions_in_flight_in_its_own_process_alone()
    {
        var bank = new Bank();
        var coordinator = bank.Coordinator();
        var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await Crash.CommitUntilAsync(coordinator, transaction, TransactionProtocolStep.AllPrepared);

        var result = await coordinator.RecoverAsync(CancellationToken.None);

        Assert.Equal((0, 2), (result.RolledBack, result.Waiting));
        Assert.Single(bank.Payments.PreparedIds);
    }

    [Fact]
    public async Task A_resource_that_is_down_keeps_its_decision_until_a_later_pass()
    {
        var bank = new Bank();
        var crashed = bank.Coordinator();
        var transaction = crashed.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await Crash.CommitUntilAsync(crashed, transaction, TransactionProtocolStep.DecisionLogged);
        await using var fresh = bank.Coordinator();
        bank.Orders.Down = true;

        var first = await fresh.RecoverAsync(CancellationToken.None);
        Assert.Equal(["orders"], first.UnreachableResources);
        Assert.Single(bank.Log.Open);
        Assert.Equal(-10, bank.Payments["alice"]);

        bank.Orders.Down = false;
        var second = await fresh.RecoverAsync(CancellationToken.None);

        Assert.Equal((1, 1), (second.Committed, second.Forgotten));
        Assert.Equal(10, bank.Orders["order-1"]);
        Assert.Empty(bank.Log.Open);
    }
}
