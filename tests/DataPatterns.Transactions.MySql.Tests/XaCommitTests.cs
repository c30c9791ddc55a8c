using DataPatterns.Transactions.Npgsql;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql.Tests;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class XaCommitTests : IAsyncLifetime
{
    private CrossEngineCoordinator<FileDecisionLog> _rig = null!;

    public async Task InitializeAsync() =>
        _rig = await CrossEngineCoordinator<FileDecisionLog>.CreateAsync("xacommit", static (_, directory) => new FileDecisionLog(Path.Combine(directory, "decisions.log")));

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_transfer_commits_on_postgres_and_mariadb_and_leaves_nothing_prepared()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistMySqlAsync("orders");
        await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, "o-1", 10);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(990, await _rig.Bank.BalanceAsync());
        Assert.Equal(10, await _rig.Bank.OrdersTotalAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
        Assert.Empty(await _rig.Log.ReadCommittedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_mariadb_only_transaction_commits_in_one_phase()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var credit = await transaction.EnlistMySqlAsync("orders");
        await CrossEngineBank.InsertOrderAsync(credit.Connection, "o-one", 7);

        await transaction.CommitAsync();

        Assert.Equal(7, await _rig.Bank.OrdersTotalAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task Rolling_back_undoes_both_engines()
    {
        var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistMySqlAsync("orders");
        await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, "o-rb", 10);

        await transaction.RollbackAsync();

        Assert.Equal(DistributedTransactionStatus.Aborted, transaction.Status);
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderCountAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_participant_voting_no_rolls_back_both_engines(bool mariaDbVotesNo)
    {
        var transaction = _rig.Coordinator.Begin();
        var debit = await _rig.Payments.OpenBranchAsync();
        var credit = await _rig.Orders.OpenBranchAsync();
        transaction.Enlist(mariaDbVotesNo ? debit : new VotingNoParticipant(debit, prepareFirst: true));
        var creditId = transaction.Enlist(mariaDbVotesNo ? new VotingNoParticipant(credit, prepareFirst: true) : credit);
        await credit.StartAsync(creditId);
        await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, "o-no", 10);

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal([mariaDbVotesNo ? "orders" : "payments"], error.FailedParticipants);
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderCountAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_mariadb_branch_that_fails_to_prepare_rolls_both_back_and_is_named()
    {
        var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistMySqlAsync("orders");
        await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, "o-kill", 10);
        await KillSessionAsync(credit.Connection.ServerThread); // the branch's session dies before XA END / XA PREPARE

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["orders"], error.FailedParticipants);
        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderCountAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_read_only_mariadb_branch_commits_although_the_server_released_it_at_prepare()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var reader = await transaction.EnlistMySqlAsync("orders");
        await using (var command = new MySqlCommand("SELECT COUNT(*) FROM orders", reader.Connection))
        {
            Assert.Equal(0L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        await using (var command = new global::Npgsql.NpgsqlCommand("UPDATE accounts SET balance = balance - 5 WHERE id = 1", debit.Connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(995, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_read_only_branch_released_at_prepare_counts_as_settled_for_commit_and_rollback()
    {
        var globalId = $"{_rig.Bank.GlobalIdPrefix}{Guid.CreateVersion7():N}:0";
        var xid = MySqlXid.From(globalId);
        // Without pooling, so the session really ends.
        await using (var connection = new MySqlConnection(new MySqlConnectionStringBuilder(_rig.Bank.Orders) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"XA START {xid.SqlLiteral}; SELECT COUNT(*) FROM orders; XA END {xid.SqlLiteral}; XA PREPARE {xid.SqlLiteral}", connection);
            await command.ExecuteNonQueryAsync();
        }

        // MariaDB kept no prepared state for the read-only branch: XA_RBROLLBACK (1402), which counts as settled.
        Assert.Equal(BranchCompletion.Completed, await _rig.Orders.CommitPreparedAsync(globalId, CancellationToken.None));
        Assert.Equal(BranchCompletion.NotFound, await _rig.Orders.RollbackPreparedAsync(globalId, CancellationToken.None));
        Assert.Empty(await _rig.Bank.XaBranchesAsync());
    }

    [Fact]
    public async Task Phase_two_of_a_settled_branch_is_idempotent()
    {
        var globalId = $"{_rig.Bank.GlobalIdPrefix}{Guid.CreateVersion7():N}:0";

        Assert.Equal(BranchCompletion.NotFound, await _rig.Orders.CommitPreparedAsync(globalId, CancellationToken.None));
        Assert.Equal(BranchCompletion.NotFound, await _rig.Orders.RollbackPreparedAsync(globalId, CancellationToken.None));
    }

    private async Task KillSessionAsync(int threadId)
    {
        await CrossEngineBank.MariaDbAsync(_rig.Bank.OrdersServer, $"KILL {threadId}");
        for (var i = 0; i < 100 && Convert.ToInt64(await CrossEngineBank.MariaDbAsync(_rig.Bank.OrdersServer, $"SELECT COUNT(*) FROM information_schema.processlist WHERE id = {threadId}"), System.Globalization.CultureInfo.InvariantCulture) > 0; i++)
        {
            await Task.Delay(10);
        }
    }
}
