using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// Stateless commit on two real servers: committed once every branch prepared with its marker, no decision log; a
/// branch that does not answer is settled by the participants (a lost answer is a commit, a branch that never
/// prepared is fenced and everything rolls back); nothing is left prepared.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class StatelessCommitTests : IAsyncLifetime
{
    private StatelessBank _bank = null!;

    public async Task InitializeAsync() => _bank = await StatelessBank.CreateAsync("txstateless");

    public async Task DisposeAsync() => await _bank.DisposeAsync();

    [Fact]
    public async Task A_transfer_commits_on_both_servers_with_a_marker_on_each_and_no_decision_log()
    {
        var coordinator = _bank.NewInstance();
        await using var transaction = coordinator.Begin();
        await _bank.TransferAsync(transaction, "s-1");

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(990, await _bank.Bank.BalanceAsync());
        Assert.Equal(10, await _bank.OrderAsync("s-1"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
        Assert.Equal(1, await _bank.Bank.MarkersAsync(_bank.Bank.Payments, fenced: false));
        Assert.Equal(1, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: false));
        Assert.All(transaction.GlobalIds, id => Assert.EndsWith(":payments:orders", id, StringComparison.Ordinal));
        Assert.All(transaction.GlobalIds, id => Assert.StartsWith(_bank.Bank.StatelessGlobalIdPrefix, id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_branch_that_fails_at_prepare_is_fenced_and_both_roll_back()
    {
        await BankDatabases.ExecuteAsync(_bank.Bank.Orders, "CREATE TABLE IF NOT EXISTS unique_later (v int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
        var coordinator = _bank.NewInstance();
        var transaction = coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await BankDatabases.TransferAsync(debit, credit, "s-2", 10);
        await using (var command = new NpgsqlCommand("INSERT INTO unique_later VALUES (1), (1)", credit.Connection))
        {
            await command.ExecuteNonQueryAsync(); // the deferred unique check fails at PREPARE TRANSACTION
        }

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["orders"], error.FailedParticipants);
        Assert.Equal(DistributedTransactionStatus.Aborted, transaction.Status);
        Assert.Equal(1000, await _bank.Bank.BalanceAsync());
        Assert.Equal(0, await _bank.OrderAsync("s-2"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
        Assert.Equal(1, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: true));
        Assert.Equal(0, await _bank.Bank.MarkersAsync(_bank.Bank.Payments, fenced: false));
    }

    [Fact]
    public async Task A_prepare_whose_answer_is_lost_is_settled_as_the_commit_it_was()
    {
        var coordinator = _bank.NewInstance();
        await using var transaction = coordinator.Begin();
        await _bank.TransferAsync(transaction, "s-3", branch => new StatelessFaultParticipant(branch, StatelessFault.AnswerLost));

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(990, await _bank.Bank.BalanceAsync());
        Assert.Equal(10, await _bank.OrderAsync("s-3"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_prepare_that_fails_before_it_is_sent_aborts_everywhere()
    {
        var coordinator = _bank.NewInstance();
        var transaction = coordinator.Begin();
        await _bank.TransferAsync(transaction, "s-4", branch => new StatelessFaultParticipant(branch, StatelessFault.FailsBeforeSending));

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Contains("injected failure before the prepare was sent", error.Message, StringComparison.Ordinal);
        Assert.Equal(1000, await _bank.Bank.BalanceAsync());
        Assert.Equal(0, await _bank.OrderAsync("s-4"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_slow_coordinator_and_another_instance_recovering_its_transaction_agree_on_abort()
    {
        var slow = _bank.NewInstance();
        var transaction = slow.Begin(TimeSpan.FromSeconds(5));
        await _bank.TransferAsync(transaction, "s-5", branch => new StatelessFaultParticipant(branch, StatelessFault.Hangs));
        var firstPrepared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.StepObserver = (step, _) =>
        {
            if (step == TransactionProtocolStep.FirstPrepared)
            {
                firstPrepared.TrySetResult();
            }

            return ValueTask.CompletedTask;
        };
        var commit = transaction.CommitAsync().AsTask();
        await firstPrepared.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Payments is prepared; orders never sent its marker. Another instance judges the coordinator gone.
        var result = await _bank.NewInstance().RecoverAsync(CancellationToken.None);

        Assert.Equal(1, result.RolledBack);
        Assert.Equal(1000, await _bank.Bank.BalanceAsync());
        await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => commit);
        Assert.Equal(0, await _bank.OrderAsync("s-5"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
        Assert.Equal(1, await _bank.Bank.MarkersAsync(_bank.Bank.Orders, fenced: true));
    }

    [Fact]
    public async Task A_coordinator_gone_after_every_branch_prepared_is_committed_by_another_instance()
    {
        await _bank.LeaveAsync("s-6", TransactionProtocolStep.AllPrepared);
        Assert.Equal(2, await _bank.Bank.PreparedLeftAsync());

        var result = await _bank.NewInstance().RecoverAsync(CancellationToken.None);

        Assert.Equal((2, 0), (result.Committed, result.RolledBack));
        Assert.Equal(990, await _bank.Bank.BalanceAsync());
        Assert.Equal(10, await _bank.OrderAsync("s-6"));
        Assert.Equal(0, await _bank.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task Recovery_leaves_a_branch_younger_than_the_grace_period_alone()
    {
        await _bank.LeaveAsync("s-7", TransactionProtocolStep.AllPrepared);

        var result = await _bank.NewInstance(o => o.RecoveryGracePeriod = TimeSpan.FromHours(1)).RecoverAsync(CancellationToken.None);

        Assert.Equal((0, 0, 2), (result.Committed, result.RolledBack, result.Waiting));
        Assert.Equal(2, await _bank.Bank.PreparedLeftAsync());
        Assert.Equal(1000, await _bank.Bank.BalanceAsync());
    }

    [Fact]
    public async Task A_second_branch_on_one_resource_is_refused_at_enlistment_with_the_fix()
    {
        var coordinator = _bank.NewInstance();
        await using var transaction = coordinator.Begin();
        await transaction.EnlistNpgsqlAsync("payments");
        await using var second = await _bank.Payments.OpenBranchAsync();

        var error = Assert.Throws<ArgumentException>(() => transaction.Enlist(second));

        Assert.Contains("one branch per resource", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Participant_names_too_long_for_one_global_id_are_refused_at_commit_with_the_fix_and_nothing_is_written()
    {
        await using var payments = NpgsqlTransactionResource.Create("payments-" + new string('p', 50), _bank.Bank.Payments);
        await using var orders = NpgsqlTransactionResource.Create("orders-" + new string('o', 50), _bank.Bank.Orders);
        var options = _bank.Bank.StatelessOptions();
        options.Prefix = new string('x', 60);
        await using var coordinator = new TwoPhaseCommitCoordinator(options, decisionLog: null, [payments, orders]);
        var transaction = coordinator.Begin();
        var debit = await payments.BeginBranchAsync(transaction);
        var credit = await orders.BeginBranchAsync(transaction);
        await BankDatabases.TransferAsync(debit, credit, "s-8", 10);

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Contains("Shorten the prefix", error.Message, StringComparison.Ordinal);
        Assert.Equal(1000, await _bank.Bank.BalanceAsync());
        Assert.Equal(0, await _bank.OrderAsync("s-8"));
    }
}
