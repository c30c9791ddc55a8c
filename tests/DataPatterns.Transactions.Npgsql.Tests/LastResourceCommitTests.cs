using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// Last-resource commit with the decision log in payments' database: payments is never prepared, its commit carries the
/// decision row; orders is prepared and completed from that row. Faults before, at and after that commit.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class LastResourceCommitTests : IAsyncLifetime
{
    private BankCoordinator<NpgsqlDecisionLog> _rig = null!;

    public async Task InitializeAsync() =>
        _rig = await BankCoordinator<NpgsqlDecisionLog>.CreateAsync("txlast", static (bank, _) => NpgsqlDecisionLog.Create(bank.Payments), LastResourceOptions);

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task Payments_commits_with_the_decision_without_being_prepared_and_orders_follows()
    {
        long paymentsPrepared = -1, ordersPrepared = -1, decisionRows = -1;
        _rig.Coordinator.StepObserver = async (step, _) =>
        {
            if (step == TransactionProtocolStep.AllPrepared)
            {
                paymentsPrepared = await PreparedOnAsync(_rig.Bank.Payments);
                ordersPrepared = await PreparedOnAsync(_rig.Bank.Orders);
            }
            else if (step == TransactionProtocolStep.DecisionLogged)
            {
                decisionRows = (await _rig.Log.ReadCommittedAsync(CancellationToken.None)).Count;
            }
        };
        await using var transaction = _rig.Coordinator.Begin();
        await BankDatabases.EnlistTransferAsync(transaction, "lrc-1", 10);

        await transaction.CommitAsync();

        Assert.Equal((0L, 1L, 1L), (paymentsPrepared, ordersPrepared, decisionRows));
        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(990, await _rig.Bank.BalanceAsync());
        Assert.Equal(10, await _rig.Bank.OrderAmountAsync("lrc-1"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
        Assert.Empty(await _rig.Log.ReadCommittedAsync(CancellationToken.None)); // forgotten once orders acknowledged
    }

    [Fact]
    public async Task Finished_decisions_are_deleted_from_the_table_by_the_next_commit_or_within_a_second()
    {
        for (var i = 0; i < 20; i++)
        {
            await using var transaction = _rig.Coordinator.Begin();
            await BankDatabases.EnlistTransferAsync(transaction, $"lrc-del-{i}", 1);
            await transaction.CommitAsync();
        }

        Assert.Empty(await _rig.Log.ReadCommittedAsync(CancellationToken.None)); // forgotten at once, as seen from here
        var deadline = DateTime.UtcNow.AddSeconds(5);
        long rows;
        while ((rows = await DecisionRowsAsync()) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0, rows); // and gone from the table: ridden along with later commits, the rest by the grouped delete
        Assert.Equal(980, await _rig.Bank.BalanceAsync());
    }

    [Fact]
    public async Task Orders_failing_to_prepare_rolls_payments_back_and_names_orders()
    {
        await BankDatabases.ExecuteAsync(_rig.Bank.Orders, "CREATE TABLE IF NOT EXISTS unique_later (v int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
        var transaction = _rig.Coordinator.Begin();
        var (_, credit) = await BankDatabases.EnlistTransferAsync(transaction, "lrc-2", 10);
        await using (var command = new NpgsqlCommand("INSERT INTO unique_later VALUES (2), (2)", credit.Connection))
        {
            await command.ExecuteNonQueryAsync(); // fails at PREPARE TRANSACTION
        }

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["orders"], error.FailedParticipants);
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderAmountAsync("lrc-2"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
        Assert.Empty(await _rig.Log.ReadCommittedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Payments_failing_its_commit_rolls_the_prepared_orders_back_and_names_payments()
    {
        await BankDatabases.ExecuteAsync(_rig.Bank.Payments, "CREATE TABLE IF NOT EXISTS unique_later (v int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
        var transaction = _rig.Coordinator.Begin();
        var (debit, _) = await BankDatabases.EnlistTransferAsync(transaction, "lrc-3", 10);
        await using (var command = new NpgsqlCommand("INSERT INTO unique_later VALUES (3), (3)", debit.Connection))
        {
            await command.ExecuteNonQueryAsync(); // fails at payments' COMMIT, after orders has prepared
        }

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["payments"], error.FailedParticipants);
        Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal(DistributedTransactionStatus.Aborted, transaction.Status);
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderAmountAsync("lrc-3"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
        Assert.Empty(await _rig.Log.ReadCommittedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_commit_arriving_after_recovery_fenced_the_transaction_fails_and_nothing_is_half_done()
    {
        // Recovery (here: its fence, called at the worst moment) has presumed the transaction dead just before the
        // last resource's commit: the commit must not land, or orders would be rolled back beside a committed payments.
        _rig.Coordinator.StepObserver = async (step, id) =>
        {
            if (step == TransactionProtocolStep.AllPrepared)
            {
                Assert.True(await _rig.Log.TryRecordAbortAsync(id, CancellationToken.None));
            }
        };
        var transaction = _rig.Coordinator.Begin();
        await BankDatabases.EnlistTransferAsync(transaction, "lrc-4", 10);

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["payments"], error.FailedParticipants);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.IsType<PostgresException>(error.InnerException).SqlState);
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderAmountAsync("lrc-4"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task The_fence_waits_for_a_decision_being_written_and_then_reports_what_happened_to_it()
    {
        await _rig.Log.ReadCommittedAsync(CancellationToken.None); // the table exists
        foreach (var commit in new[] { true, false })
        {
            var id = Guid.NewGuid();
            await using var writer = new NpgsqlConnection(_rig.Bank.Payments);
            await writer.OpenAsync();
            await using var open = await writer.BeginTransactionAsync();
            await using (var batch = new NpgsqlBatch(writer, open))
            {
                batch.BatchCommands.Add(_rig.Log.CreateRecordCommand(new CommitDecision(id, DateTimeOffset.UtcNow, [new CommitBranch("orders", "x")]), replayable: false));
                await batch.ExecuteNonQueryAsync();
            }

            var fence = _rig.Log.TryRecordAbortAsync(id, CancellationToken.None).AsTask();
            await Task.Delay(300);
            Assert.False(fence.IsCompleted, "the fence must wait for the decision's transaction to end");

            if (commit)
            {
                await open.CommitAsync();
            }
            else
            {
                await open.RollbackAsync();
            }

            var aborted = await fence.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(!commit, aborted);
            Assert.Equal(commit, (await _rig.Log.ReadCommittedAsync(CancellationToken.None)).Any(d => d.TransactionId == id));
        }
    }

    [Fact]
    public async Task Recovery_fences_before_it_presumes_an_abort_and_purges_old_fences()
    {
        var crashed = new TwoPhaseCommitCoordinator(LastResourceOptions(_rig.Bank), _rig.Log, [_rig.Payments, _rig.Orders]);
        var transaction = crashed.Begin();
        var (debit, _) = await BankDatabases.EnlistTransferAsync(transaction, "lrc-5", 10);
        var reached = new TaskCompletionSource();
        crashed.StepObserver = (step, _) =>
        {
            if (step != TransactionProtocolStep.AllPrepared)
            {
                return ValueTask.CompletedTask;
            }

            reached.TrySetResult();
            return new ValueTask(new TaskCompletionSource().Task); // the "process" stops before payments' commit
        };
        _ = transaction.CommitAsync().AsTask();
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await debit.DisposeAsync(); // its connection dies with the process: payments' open transaction rolls back

        await using var fresh = new TwoPhaseCommitCoordinator(LastResourceOptions(_rig.Bank), _rig.Log, [_rig.Payments, _rig.Orders]);
        var result = await fresh.RecoverAsync(CancellationToken.None);

        Assert.Equal(1, result.RolledBack);
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderAmountAsync("lrc-5"));
        Assert.True(await _rig.Log.TryRecordAbortAsync(transaction.Id, CancellationToken.None)); // aborted for good
        Assert.Equal(1L, await FenceRowsAsync(transaction.Id));

        await _rig.Log.PurgeAbortsAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(1L, await FenceRowsAsync(transaction.Id)); // a fresh fence is kept
        await BankDatabases.ExecuteAsync(_rig.Bank.Payments, $"UPDATE datapatterns_2pc_decisions SET decided_at = now() - interval '2 minutes' WHERE transaction_id = '{transaction.Id}'");
        await _rig.Log.PurgeAbortsAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(0L, await FenceRowsAsync(transaction.Id));
    }

    [Fact]
    public async Task The_decision_lands_in_the_logs_own_table_whatever_the_resources_search_path()
    {
        // A table of the same name in a schema the resource's session sees first must not catch the decision: the
        // fence and recovery read the log's table, and would presume an abort beside a committed payments.
        await _rig.Log.ReadCommittedAsync(CancellationToken.None);
        await BankDatabases.ExecuteAsync(_rig.Bank.Payments, "CREATE SCHEMA IF NOT EXISTS decoy; CREATE TABLE IF NOT EXISTS decoy.datapatterns_2pc_decisions (LIKE public.datapatterns_2pc_decisions INCLUDING ALL)");
        await using var payments = NpgsqlTransactionResource.Create("payments", _rig.Bank.Payments + ";Search Path=decoy,public");
        await using var coordinator = new TwoPhaseCommitCoordinator(LastResourceOptions(_rig.Bank), _rig.Log, [payments, _rig.Orders]);
        var decisionsSeen = -1;
        coordinator.StepObserver = async (step, _) =>
        {
            if (step == TransactionProtocolStep.DecisionLogged)
            {
                decisionsSeen = (await _rig.Log.ReadCommittedAsync(CancellationToken.None)).Count;
            }
        };
        await using var transaction = coordinator.Begin();
        await BankDatabases.EnlistTransferAsync(transaction, "lrc-path", 10);

        await transaction.CommitAsync();

        Assert.Equal(1, decisionsSeen);
        Assert.Equal(0L, (long)(await BankDatabases.ScalarAsync(_rig.Bank.Payments, "SELECT count(*) FROM decoy.datapatterns_2pc_decisions"))!);
        Assert.Equal(10, await _rig.Bank.OrderAmountAsync("lrc-path"));
    }

    [Fact]
    public async Task Only_a_participant_in_the_logs_database_can_carry_the_decision()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");

        Assert.True(debit.CanRecordDecisionIn(_rig.Log));
        Assert.False(credit.CanRecordDecisionIn(_rig.Log));
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            credit.CommitWithDecisionAsync(_rig.Log, new CommitDecision(transaction.Id, DateTimeOffset.UtcNow, []), CancellationToken.None).AsTask());
        Assert.Contains("in its own database", error.Message, StringComparison.Ordinal);
    }

    private static TwoPhaseCommitOptions LastResourceOptions(BankDatabases bank)
    {
        var options = bank.Options();
        options.LastResourceCommit = true;
        return options;
    }

    private async Task<long> PreparedOnAsync(string connectionString) =>
        (long)(await BankDatabases.ScalarAsync(connectionString, $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{_rig.Bank.GlobalIdPrefix}')"))!;

    private async Task<long> DecisionRowsAsync() =>
        (long)(await BankDatabases.ScalarAsync(_rig.Bank.Payments, "SELECT count(*) FROM datapatterns_2pc_decisions WHERE NOT aborted"))!;

    private async Task<long> FenceRowsAsync(Guid id) =>
        (long)(await BankDatabases.ScalarAsync(_rig.Bank.Payments, $"SELECT count(*) FROM datapatterns_2pc_decisions WHERE aborted AND transaction_id = '{id}'"))!;
}
