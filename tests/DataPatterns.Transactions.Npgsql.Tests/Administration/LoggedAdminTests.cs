using Microsoft.Extensions.Logging;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// The operator's view of the log-based modes on real servers, with the decision log shared in payments' database:
/// another node's transactions are listed with their fate, a gone node's are taken over (refused while it lives), and
/// a transaction whose decision is missing can be committed by hand, with audit lines.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class LoggedAdminTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private BankDatabases _bank = null!;
    private NpgsqlTransactionResource _payments = null!;
    private NpgsqlTransactionResource _orders = null!;

    public async Task InitializeAsync()
    {
        _bank = await BankDatabases.CreateAsync("txadmin");
        _payments = NpgsqlTransactionResource.Create("payments", _bank.Payments);
        _orders = NpgsqlTransactionResource.Create("orders", _bank.Orders);
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        // The nodes here are not the bank's own, so its clean-up would not see what a failed test left prepared.
        await LeftoverBranches.RollBackAllAsync(_payments.DataSource);
        await LeftoverBranches.RollBackAllAsync(_orders.DataSource);
        await _payments.DisposeAsync();
        await _orders.DisposeAsync();
        await _bank.DisposeAsync();
    }

    [Fact]
    public async Task A_gone_nodes_committed_transaction_is_taken_over_only_once_that_node_is_gone()
    {
        var (gone, goneNode) = Node();
        await gone.ClaimNodeAsync(CancellationToken.None);
        var transactionId = await LeaveAsync(gone, "t-1", TransactionProtocolStep.DecisionLogged);
        var (survivor, _) = Node();
        var admin = new TransactionAdmin(survivor);

        var listed = Assert.Single(await admin.ListInDoubtAsync(CancellationToken.None));
        Assert.Equal((transactionId, goneNode, InDoubtState.WillCommit), (listed.TransactionId, listed.Node, listed.State));
        await Assert.ThrowsAsync<CoordinatorNodeInUseException>(() => admin.TakeOverNodeAsync(goneNode, CancellationToken.None).AsTask());

        await gone.DisposeAsync(); // its sessions end, and with them its claim
        var result = await admin.TakeOverNodeAsync(goneNode, CancellationToken.None);

        Assert.Equal((2, 1), (result.Committed, result.Forgotten));
        Assert.Equal(990, await _bank.BalanceAsync());
        Assert.Equal(10, await _bank.OrderAmountAsync("t-1"));
        Assert.Equal(0, await PreparedAsync());
    }

    [Fact]
    public async Task A_transaction_without_a_decision_can_be_committed_by_hand_and_one_with_a_decision_cannot_be_rolled_back()
    {
        var (gone, _) = Node();
        var undecided = await LeaveAsync(gone, "t-2", TransactionProtocolStep.AllPrepared, account: 2);
        var decided = await LeaveAsync(gone, "t-3", TransactionProtocolStep.DecisionLogged, account: 3);
        var (survivor, _) = Node();
        var audit = new RecordingLogger<TransactionAdmin>();
        var admin = new TransactionAdmin(survivor, TimeProvider.System, audit);

        var fates = (await admin.ListInDoubtAsync(CancellationToken.None)).ToDictionary(t => t.TransactionId, t => t.State);
        Assert.Equal(InDoubtState.WillRollBack, fates[undecided]);
        Assert.Equal(InDoubtState.WillCommit, fates[decided]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => admin.ResolveAsync(decided, ManualOutcome.RollBack, "test", CancellationToken.None).AsTask());
        await admin.ResolveAsync(undecided, ManualOutcome.Commit, "INC-7: the decision was lost with a disk", CancellationToken.None);
        await admin.ResolveAsync(decided, ManualOutcome.Commit, "INC-7", CancellationToken.None);

        Assert.Equal(10, await _bank.OrderAmountAsync("t-2"));
        Assert.Equal(10, await _bank.OrderAmountAsync("t-3"));
        Assert.Equal(0, await PreparedAsync());
        Assert.Contains(audit.Lines, l => l.EventId == 3026 && l.Level == LogLevel.Warning && l.Message.Contains(undecided.ToString(), StringComparison.Ordinal));
        Assert.Equal(2, audit.Lines.Count(l => l.EventId == 3025));
    }

    [Fact]
    public async Task With_TakeOverDeadNodes_recovery_finishes_a_gone_nodes_transactions_and_leaves_a_live_nodes_alone()
    {
        var (gone, _) = Node();
        await gone.ClaimNodeAsync(CancellationToken.None);
        var (alive, _) = Node();
        await alive.ClaimNodeAsync(CancellationToken.None);
        await LeaveAsync(gone, "t-4", TransactionProtocolStep.DecisionLogged, account: 4);
        await LeaveAsync(alive, "t-5", TransactionProtocolStep.DecisionLogged, account: 5);
        var (survivor, _) = Node(o => o.TakeOverDeadNodes = true);
        await survivor.ClaimNodeAsync(CancellationToken.None);

        await gone.DisposeAsync();
        await survivor.RecoverAsync(CancellationToken.None);

        Assert.Equal(10, await _bank.OrderAmountAsync("t-4"));
        Assert.Equal(0, await _bank.OrderAmountAsync("t-5")); // still prepared: its node lives, holds its claim, recovers its own
        Assert.Equal(2, await PreparedAsync());

        await alive.DisposeAsync(); // now it is gone too
        await survivor.RecoverAsync(CancellationToken.None);

        Assert.Equal(10, await _bank.OrderAmountAsync("t-5"));
        Assert.Equal(0, await PreparedAsync());
    }

    [Fact]
    public void TakeOverDeadNodes_without_a_shared_log_is_refused_with_the_fix()
    {
        var options = _bank.Options();
        options.TakeOverDeadNodes = true;

        var error = Assert.Throws<ArgumentException>(() => new TwoPhaseCommitCoordinator(options, new FileDecisionLog(Path.Combine(Path.GetTempPath(), $"dp-takeover-{Guid.NewGuid():N}.log")), [_payments]));

        Assert.Contains("UseNpgsqlDecisionLog", error.Message, StringComparison.Ordinal);
    }

    private (TwoPhaseCommitCoordinator Coordinator, string Node) Node(Action<TwoPhaseCommitOptions>? configure = null)
    {
        var node = "n" + Guid.NewGuid().ToString("N")[..12];
        var options = _bank.Options();
        options.NodeId = node;
        configure?.Invoke(options);
        var log = NpgsqlDecisionLog.Create(_bank.Payments);
        var coordinator = new TwoPhaseCommitCoordinator(options, log, [_payments, _orders]);
        _owned.Add(log);
        _owned.Add(coordinator);
        return (coordinator, node);
    }

    private async Task<Guid> LeaveAsync(TwoPhaseCommitCoordinator coordinator, string orderId, TransactionProtocolStep step, int account = 1)
    {
        coordinator.StepObserver = (current, _) => current == step ? throw new OperationCanceledException("the process died here") : ValueTask.CompletedTask;
        await BankDatabases.ExecuteAsync(_bank.Payments, $"INSERT INTO accounts VALUES ({account}, 1000) ON CONFLICT DO NOTHING");
        var transaction = coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await using (var command = new global::Npgsql.NpgsqlCommand($"UPDATE accounts SET balance = balance - 10 WHERE id = {account}", debit.Connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using (var command = new global::Npgsql.NpgsqlCommand($"INSERT INTO orders VALUES ('{orderId}', 10)", credit.Connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<OperationCanceledException>(() => transaction.CommitAsync().AsTask());
        return transaction.Id;
    }

    /// <summary>Branches prepared in the two databases, by any node.</summary>
    private async Task<long> PreparedAsync()
    {
        const string Sql = "SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()";
        return (long)(await BankDatabases.ScalarAsync(_bank.Payments, Sql))! + (long)(await BankDatabases.ScalarAsync(_bank.Orders, Sql))!;
    }
}
