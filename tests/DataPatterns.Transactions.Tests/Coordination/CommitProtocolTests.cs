namespace DataPatterns.Transactions.Tests.Coordination;

public sealed class CommitProtocolTests
{
    [Fact]
    public async Task Commit_applies_the_work_on_every_participant_and_forgets_the_decision()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        var payment = bank.Payments.Begin(transaction, "alice", -10);
        var order = bank.Orders.Begin(transaction, "order-1", 10);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(-10, bank.Payments["alice"]);
        Assert.Equal(10, bank.Orders["order-1"]);
        Assert.Equal(1, bank.Log.Records);
        Assert.Empty(bank.Log.Open);
        Assert.Empty(bank.Payments.PreparedIds);
        Assert.True(payment.Disposed && order.Disposed, "the transaction disposes its participants when they are finished");
        Assert.Equal(0, coordinator.InFlightCount);
    }

    [Fact]
    public async Task Global_ids_carry_prefix_node_transaction_and_branch()
    {
        var bank = new Bank("node-7");
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "a", 1);
        bank.Orders.Begin(transaction, "b", 1);

        Assert.Equal([$"test:node-7:{transaction.Id:N}:0", $"test:node-7:{transaction.Id:N}:1"], transaction.GlobalIds);
        Assert.All(transaction.GlobalIds, id => Assert.True(id.Length < GlobalTransactionId.MaxLength));
        Assert.True(GlobalTransactionId.TryParse(transaction.GlobalIds[1], coordinator.GlobalIdPrefix, out var parsed, out var branch));
        Assert.Equal((transaction.Id, 1), (parsed, branch));
        Assert.False(GlobalTransactionId.TryParse(transaction.GlobalIds[1], "test:other:", out _, out _));
    }

    [Fact]
    public async Task A_no_vote_rolls_back_everyone_and_names_the_participant()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        var transaction = coordinator.Begin();
        var payment = bank.Payments.Begin(transaction, "alice", -10);
        var order = bank.Orders.Begin(transaction, "order-1", 10);
        order.Vote = PrepareVote.No;

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["orders"], error.FailedParticipants);
        Assert.Contains("'orders' voted no", error.Message, StringComparison.Ordinal);
        Assert.Equal(DistributedTransactionStatus.Aborted, transaction.Status);
        Assert.True(payment.RolledBack && order.RolledBack);
        Assert.Empty(bank.Payments.PreparedIds);
        Assert.Equal(0, bank.Payments["alice"]);
        Assert.Equal(0, bank.Log.Records);
    }

    [Fact]
    public async Task A_participant_that_loses_its_connection_during_prepare_aborts_the_transaction()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10).ThrowOnPrepare = true;
        bank.Orders.Begin(transaction, "order-1", 10);

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["payments"], error.FailedParticipants);
        Assert.IsType<IOException>(error.InnerException);
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.Equal(0, bank.Orders["order-1"]);
    }

    [Fact]
    public async Task A_participant_that_does_not_prepare_in_time_aborts_the_transaction()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        var transaction = coordinator.Begin(TimeSpan.FromSeconds(2));
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10).HangOnPrepare = true;

        var commit = transaction.CommitAsync().AsTask();
        Assert.False(commit.IsCompleted);
        bank.Time.Advance(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => commit.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["orders"], error.FailedParticipants);
        Assert.Contains("within the timeout", error.Message, StringComparison.Ordinal);
        Assert.Empty(bank.Payments.PreparedIds);
        Assert.Equal(0, bank.Payments["alice"]);
    }

    [Fact]
    public async Task A_single_participant_commits_in_one_phase_without_a_decision_record()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", 5);

        await transaction.CommitAsync();

        Assert.Equal(5, bank.Payments["alice"]);
        Assert.Equal(0, bank.Log.Records);
        Assert.Empty(bank.Payments.PreparedIds);
    }

    [Fact]
    public async Task A_read_only_participant_skips_phase_two()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", 0);
        bank.Orders.Begin(transaction, "order-1", 3);

        await transaction.CommitAsync();

        Assert.Equal(3, bank.Orders["order-1"]);
        Assert.Equal(0, bank.Payments.CommitPreparedCalls);
        Assert.Equal(1, bank.Orders.CommitPreparedCalls);
        Assert.Equal(1, bank.Log.Records);
    }

    [Fact]
    public async Task Only_read_only_participants_commit_without_a_decision_record()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", 0);
        bank.Orders.Begin(transaction, "order-1", 0);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(0, bank.Log.Records);
    }

    [Fact]
    public async Task A_participant_down_in_phase_two_still_reports_committed_and_is_committed_in_the_background()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        coordinator.StepObserver = (step, _) =>
        {
            if (step == TransactionProtocolStep.DecisionLogged)
            {
                bank.Orders.Down = true;
            }

            return ValueTask.CompletedTask;
        };
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.CommittedPendingPhaseTwo, transaction.Status);
        Assert.Equal([transaction.GlobalIds[1]], transaction.PendingGlobalIds);
        Assert.Equal(-10, bank.Payments["alice"]);
        Assert.Single(bank.Log.Open);

        bank.Time.Advance(TimeSpan.FromSeconds(1)); // a retry while still down
        bank.Orders.Down = false;
        bank.Time.Advance(TimeSpan.FromSeconds(2)); // the next retry (backoff doubled) succeeds
        await coordinator.WhenPhaseTwoCompleteAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(10, bank.Orders["order-1"]);
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.Empty(bank.Log.Open);
    }

    [Fact]
    public async Task A_branch_rolled_back_behind_the_coordinators_back_is_a_heuristic_outcome()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
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

        var error = await Assert.ThrowsAsync<TransactionHeuristicException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal([transaction.GlobalIds[1]], error.GlobalIds);
        Assert.Equal(transaction.Id, error.TransactionId);
        Assert.Equal(-10, bank.Payments["alice"]);
    }

    [Fact]
    public async Task A_decision_that_cannot_be_written_rolls_everything_back()
    {
        var bank = new Bank();
        bank.Log.FailWrites = true;
        await using var coordinator = bank.Coordinator();
        var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Contains("decision log", error.Message, StringComparison.Ordinal);
        Assert.Empty(bank.Payments.PreparedIds);
        Assert.Empty(bank.Orders.PreparedIds);
    }

    [Fact]
    public async Task Enlisting_after_commit_started_is_refused()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        var late = new FakeBranch(bank.Orders, "late", 1);
        Exception? enlistError = null;
        coordinator.StepObserver = (step, _) =>
        {
            if (step == TransactionProtocolStep.AllPrepared)
            {
                enlistError = Record.Exception(() => transaction.Enlist(late));
            }

            return ValueTask.CompletedTask;
        };

        await transaction.CommitAsync();

        var error = Assert.IsType<TransactionStateException>(enlistError);
        Assert.Contains("before calling CommitAsync", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, bank.Orders["late"]);
    }

    [Fact]
    public async Task Committing_twice_is_refused_and_changes_nothing()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        await using var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await transaction.CommitAsync();

        var error = await Assert.ThrowsAsync<TransactionStateException>(() => transaction.CommitAsync().AsTask());

        Assert.Contains("already Committed", error.Message, StringComparison.Ordinal);
        Assert.Equal(-10, bank.Payments["alice"]);
        Assert.Equal(1, bank.Log.Records);
    }

    [Fact]
    public async Task Disposing_an_uncommitted_transaction_rolls_it_back()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        FakeBranch payment;
        await using (var transaction = coordinator.Begin())
        {
            payment = bank.Payments.Begin(transaction, "alice", -10);
        }

        Assert.True(payment.RolledBack);
        Assert.Equal(0, coordinator.InFlightCount);
    }

    [Theory]
    [InlineData("", "n1", "Prefix")]
    [InlineData("has:colon", "n1", "Prefix")]
    [InlineData("ok", "quote'", "NodeId")]
    public void Invalid_prefix_or_node_is_refused_with_the_setting_named(string prefix, string node, string setting)
    {
        var bank = new Bank();
        var options = bank.Options();
        options.Prefix = prefix;
        options.NodeId = node;

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new TwoPhaseCommitCoordinator(options, bank.Log));

        Assert.Contains($"TwoPhaseCommitOptions.{setting}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_global_id_over_the_limit_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => GlobalTransactionId.Format(new string('p', 190) + ":", Guid.NewGuid(), 0));
        Assert.Contains("fewer than 200", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => GlobalTransactionId.CoordinatorPrefix(new string('p', 65), "n"));
    }
}
