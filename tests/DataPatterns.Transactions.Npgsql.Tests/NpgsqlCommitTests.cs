using System.Transactions;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class NpgsqlCommitTests : IAsyncLifetime
{
    private BankCoordinator<FileDecisionLog> _rig = null!;

    public async Task InitializeAsync() =>
        _rig = await BankCoordinator<FileDecisionLog>.CreateAsync("txcommit", static (_, directory) => new FileDecisionLog(Path.Combine(directory, "decisions.log")));

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_transfer_commits_on_both_servers_and_leaves_nothing_prepared()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await BankDatabases.TransferAsync(debit, credit, "o-1", 10);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(990, await _rig.Bank.BalanceAsync());
        Assert.Equal(10, await _rig.Bank.OrderAmountAsync("o-1"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
        Assert.Empty(await _rig.Log.ReadCommittedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_branch_that_fails_to_prepare_rolls_both_back_and_is_named()
    {
        await BankDatabases.ExecuteAsync(_rig.Bank.Orders, "CREATE TABLE IF NOT EXISTS unique_later (v int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
        var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await BankDatabases.TransferAsync(debit, credit, "o-2", 10);
        await using (var command = new NpgsqlCommand("INSERT INTO unique_later VALUES (1), (1)", credit.Connection))
        {
            await command.ExecuteNonQueryAsync(); // the deferred unique check fails at PREPARE TRANSACTION
        }

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["orders"], error.FailedParticipants);
        Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderAmountAsync("o-2"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_branch_that_only_read_votes_read_only_and_skips_phase_two()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var reader = await transaction.EnlistNpgsqlAsync("payments");
        var writer = await transaction.EnlistNpgsqlAsync("orders");
        await using (var command = new NpgsqlCommand("SELECT balance FROM accounts WHERE id = 1", reader.Connection))
        {
            Assert.Equal(1000L, await command.ExecuteScalarAsync());
        }

        await using (var command = new NpgsqlCommand("INSERT INTO orders VALUES ('o-3', 5)", writer.Connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        long preparedOnPayments = -1, preparedOnOrders = -1;
        _rig.Coordinator.StepObserver = async (step, _) =>
        {
            if (step == TransactionProtocolStep.AllPrepared)
            {
                var sql = $"SELECT count(*) FROM pg_prepared_xacts WHERE starts_with(gid, '{_rig.Bank.GlobalIdPrefix}')";
                preparedOnPayments = (long)(await BankDatabases.ScalarAsync(_rig.Bank.Payments, sql))!;
                preparedOnOrders = (long)(await BankDatabases.ScalarAsync(_rig.Bank.Orders, sql))!;
            }
        };

        await transaction.CommitAsync();

        Assert.Equal((0L, 1L), (preparedOnPayments, preparedOnOrders));
        Assert.Equal(5, await _rig.Bank.OrderAmountAsync("o-3"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_single_branch_commits_in_one_phase()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var branch = await transaction.EnlistNpgsqlAsync("payments");
        await using (var command = new NpgsqlCommand("UPDATE accounts SET balance = 500 WHERE id = 1", branch.Connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();

        Assert.Equal(500, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, _rig.Log.FsyncCount);
    }

    [Fact]
    public async Task Rollback_undoes_both_branches()
    {
        var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await BankDatabases.TransferAsync(debit, credit, "o-4", 10);

        await transaction.RollbackAsync();

        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderAmountAsync("o-4"));
    }

    [Fact]
    public async Task A_transaction_scope_commits_across_two_servers_on_linux()
    {
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            var transaction = _rig.Coordinator.JoinAmbientTransaction();
            var debit = await transaction.EnlistNpgsqlAsync("payments");
            var credit = await transaction.EnlistNpgsqlAsync("orders");
            await BankDatabases.TransferAsync(debit, credit, "o-5", 10);
            scope.Complete();
        }

        Assert.Equal(990, await _rig.Bank.BalanceAsync());
        Assert.Equal(10, await _rig.Bank.OrderAmountAsync("o-5"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task The_start_up_check_passes_when_prepared_transactions_are_enabled_and_fails_below_the_pool_size()
    {
        await _rig.Coordinator.ValidateResourcesAsync(CancellationToken.None);

        await using var bigPool = NpgsqlTransactionResource.Create("big", _rig.Bank.Payments + ";Maximum Pool Size=500");
        var error = await Assert.ThrowsAsync<PreparedTransactionsUnavailableException>(() => bigPool.ValidateAsync(CancellationToken.None).AsTask());

        Assert.InRange(error.MaxPreparedTransactions, 1, 499);
        Assert.Contains("Raise max_prepared_transactions to at least 500", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_source_that_auto_enlists_is_refused()
    {
        await using var dataSource = NpgsqlDataSource.Create(_rig.Bank.Payments);

        var error = Assert.Throws<ArgumentException>(() => new NpgsqlTransactionResource("payments", dataSource));

        Assert.Contains("Enlist=false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_global_id_over_the_limit_is_refused_before_it_reaches_the_server()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresGlobalIds.Quote(new string('x', 200)));
        Assert.Contains("fewer than 200 bytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PostgresGlobalIds.Quote("a';DROP TABLE x;--"));
    }

    [Fact]
    public async Task The_postgresql_decision_log_drives_recovery_after_a_crash()
    {
        await using var log = NpgsqlDecisionLog.Create(_rig.Bank.Payments);
        var crashed = new TwoPhaseCommitCoordinator(_rig.Bank.Options(), log, [_rig.Payments, _rig.Orders]);
        var transaction = crashed.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistNpgsqlAsync("orders");
        await BankDatabases.TransferAsync(debit, credit, "o-6", 10);
        var reached = new TaskCompletionSource();
        crashed.StepObserver = (step, _) =>
        {
            if (step != TransactionProtocolStep.DecisionLogged)
            {
                return ValueTask.CompletedTask;
            }

            reached.TrySetResult();
            return new ValueTask(new TaskCompletionSource().Task); // the "process" stops here for good
        };
        _ = transaction.CommitAsync().AsTask();
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(await log.ReadCommittedAsync(CancellationToken.None));

        await using var fresh = new TwoPhaseCommitCoordinator(_rig.Bank.Options(), log, [_rig.Payments, _rig.Orders]);
        var result = await fresh.RecoverAsync(CancellationToken.None);

        Assert.Equal((2, 1), (result.Committed, result.Forgotten));
        Assert.Equal(990, await _rig.Bank.BalanceAsync());
        Assert.Equal(10, await _rig.Bank.OrderAmountAsync("o-6"));
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
        Assert.Empty(await log.ReadCommittedAsync(CancellationToken.None));
    }
}
