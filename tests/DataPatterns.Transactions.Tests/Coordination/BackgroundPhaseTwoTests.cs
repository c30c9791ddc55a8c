namespace DataPatterns.Transactions.Tests.Coordination;

/// <summary>With <see cref="TwoPhaseCommitOptions.WaitForPhaseTwo"/> off, commit returns once the decision is durable.</summary>
public sealed class BackgroundPhaseTwoTests
{
    [Fact]
    public async Task Commit_returns_after_the_durable_decision_and_phase_two_finishes_in_the_background()
    {
        var bank = new Bank();
        var options = bank.Options();
        options.WaitForPhaseTwo = false;
        await using var coordinator = new TwoPhaseCommitCoordinator(options, bank.Log, [bank.Payments, bank.Orders], bank.Time);
        await using var transaction = coordinator.Begin();
        var payment = bank.Payments.Begin(transaction, "alice", -10);
        var order = bank.Orders.Begin(transaction, "order-1", 10);
        var slowOrders = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        order.HoldCommitUntil = slowOrders.Task;

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.CommittedPendingPhaseTwo, transaction.Status);
        Assert.Single(bank.Log.Open); // the decision was durable before CommitAsync returned
        Assert.Equal(1, coordinator.InFlightCount);
        Assert.Equal(0, bank.Orders["order-1"]); // not visible on the slow participant yet
        var recovery = await coordinator.RecoverAsync(CancellationToken.None);
        Assert.Equal((0, 0), (recovery.Committed, recovery.RolledBack)); // recovery leaves a transaction in flight alone
        Assert.Contains(transaction.GlobalIds[1], bank.Orders.PreparedIds);

        slowOrders.SetResult();
        await transaction.WhenCompletedAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal((-10L, 10L), (bank.Payments["alice"], bank.Orders["order-1"]));
        Assert.Empty(bank.Log.Open);
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.True(payment.Disposed && order.Disposed);
        Assert.Equal(0, coordinator.InFlightCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_branch_whose_clean_up_fails_after_its_commit_neither_stops_phase_two_nor_stays_in_flight(bool waitForPhaseTwo)
    {
        var bank = new Bank();
        var options = bank.Options();
        options.WaitForPhaseTwo = waitForPhaseTwo;
        await using var coordinator = new TwoPhaseCommitCoordinator(options, bank.Log, [bank.Payments, bank.Orders], bank.Time);
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10).ThrowOnDispose = true;
        bank.Orders.Begin(transaction, "order-1", 10);

        await transaction.CommitAsync();
        await transaction.WhenCompletedAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal((-10L, 10L), (bank.Payments["alice"], bank.Orders["order-1"]));
        Assert.Empty(bank.Log.Open);
        Assert.Equal(0, coordinator.InFlightCount);
    }

    [Fact]
    public async Task A_failed_background_commit_is_retried_until_the_participant_acknowledges()
    {
        var bank = new Bank();
        var options = bank.Options();
        options.WaitForPhaseTwo = false;
        await using var coordinator = new TwoPhaseCommitCoordinator(options, bank.Log, [bank.Payments, bank.Orders], bank.Time);
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10).FailCommitTimes = 1;

        await transaction.CommitAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (transaction.PendingGlobalIds.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1);
        }

        Assert.Equal([transaction.GlobalIds[1]], transaction.PendingGlobalIds);
        var completed = transaction.WhenCompletedAsync();
        Assert.False(completed.IsCompleted);

        bank.Time.Advance(options.RetryDelay);
        await completed;

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal((-10L, 10L), (bank.Payments["alice"], bank.Orders["order-1"]));
        Assert.Empty(bank.Log.Open);
    }

    [Fact]
    public async Task A_heuristic_outcome_in_background_phase_two_surfaces_when_the_caller_waits()
    {
        var bank = new Bank();
        var options = bank.Options();
        options.WaitForPhaseTwo = false;
        await using var coordinator = new TwoPhaseCommitCoordinator(options, bank.Log, [bank.Payments, bank.Orders], bank.Time);
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        coordinator.StepObserver = (step, _) =>
        {
            if (step == TransactionProtocolStep.DecisionLogged)
            {
                bank.Orders.ForgetPrepared(transaction.GlobalIds[1]); // an administrator's ROLLBACK PREPARED
            }

            return ValueTask.CompletedTask;
        };

        await transaction.CommitAsync(); // the decision is durable: the caller is told "committed"
        var error = await Assert.ThrowsAsync<TransactionHeuristicException>(() => transaction.WhenCompletedAsync());

        Assert.Equal([transaction.GlobalIds[1]], error.GlobalIds);
        Assert.Equal(-10, bank.Payments["alice"]);
    }

    [Fact]
    public async Task Waiting_for_phase_two_is_the_default_and_WhenCompletedAsync_then_returns_at_once()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);

        await transaction.CommitAsync();
        var completed = transaction.WhenCompletedAsync();

        Assert.True(new TwoPhaseCommitOptions().WaitForPhaseTwo);
        Assert.True(completed.IsCompletedSuccessfully);
        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(10, bank.Orders["order-1"]);
    }
}
