using DataPatterns.Transactions.Npgsql;

namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>The decision log in MariaDB: durable rows, the abort fence, last-resource commit, and a damaged row stopping recovery.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class MySqlDecisionLogTests : IAsyncLifetime
{
    private CrossEngineCoordinator<MySqlDecisionLog> _rig = null!;

    public async Task InitializeAsync() =>
        _rig = await CrossEngineCoordinator<MySqlDecisionLog>.CreateAsync(
            "xalog",
            static (bank, _) => MySqlDecisionLog.Create(bank.Orders),
            static bank =>
            {
                var options = bank.Options();
                options.LastResourceCommit = true;
                return options;
            });

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_decision_is_read_back_until_forgotten()
    {
        var id = Guid.CreateVersion7();
        var decision = new CommitDecision(id, DateTimeOffset.UtcNow, [new CommitBranch("payments", "a:b:1"), new CommitBranch("orders", "a:b:2")]);

        await _rig.Log.RecordCommitAsync(decision, CancellationToken.None);
        await _rig.Log.RecordCommitAsync(decision, CancellationToken.None); // a replay changes nothing
        var read = Assert.Single(await _rig.Log.ReadCommittedAsync(CancellationToken.None));
        await _rig.Log.ForgetAsync(id, CancellationToken.None);

        Assert.Equal(id, read.TransactionId);
        Assert.Equal(decision.Branches, read.Branches);
        Assert.Empty(await _rig.Log.ReadCommittedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_abort_fence_keeps_a_later_commit_out_and_a_commit_keeps_the_fence_out()
    {
        var aborted = Guid.CreateVersion7();
        var committed = Guid.CreateVersion7();
        await _rig.Log.RecordCommitAsync(new CommitDecision(committed, DateTimeOffset.UtcNow, [new CommitBranch("orders", "a:b:1")]), CancellationToken.None);

        Assert.True(await _rig.Log.TryRecordAbortAsync(aborted, CancellationToken.None));
        Assert.False(await _rig.Log.TryRecordAbortAsync(committed, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _rig.Log.RecordCommitAsync(new CommitDecision(aborted, DateTimeOffset.UtcNow, [new CommitBranch("orders", "a:b:1")]), CancellationToken.None).AsTask());
        await _rig.Log.PurgeAbortsAsync(TimeSpan.Zero, CancellationToken.None);
    }

    [Fact]
    public async Task A_transfer_commits_with_mariadb_as_the_last_resource_carrying_the_decision()
    {
        await using var transaction = _rig.Coordinator.Begin();
        var debit = await transaction.EnlistNpgsqlAsync("payments");
        var credit = await transaction.EnlistMySqlAsync("orders");
        await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, "o-last", 30);

        Assert.True(credit.CanRecordDecisionIn(_rig.Log));
        await transaction.CommitAsync();

        Assert.Equal(970, await _rig.Bank.BalanceAsync());
        Assert.Equal(30, await _rig.Bank.OrdersTotalAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Theory]
    [InlineData("UNHEX(REPLACE(UUID(), '-', ''))", "'2026-01-01'", "'{\"orders\": 1}'", "JSON")]
    [InlineData("UNHEX(REPLACE(UUID(), '-', ''))", "'2026-01-01'", "'[[\"orders\",\"\"]]'", "pair")]
    [InlineData("UNHEX(REPLACE(UUID(), '-', ''))", "'2026-01-01'", "'not json'", "JSON")]
    [InlineData("UNHEX(REPLACE(UUID(), '-', ''))", "'2026-01-01'", "'[]'", "no branches")]
    [InlineData("UNHEX(REPLACE(UUID(), '-', ''))", "'2026-01-01'", "'[[\"orders\"]]'", "pair")]
    public async Task A_damaged_row_stops_recovery_instead_of_forgetting(string id, string decidedAt, string branches, string named)
    {
        await _rig.Log.ReadCommittedAsync(CancellationToken.None); // creates the table
        await CrossEngineBank.MariaDbAsync(_rig.Bank.Orders, $"INSERT INTO datapatterns_2pc_decisions (transaction_id, decided_at, branches, aborted) VALUES ({id}, {decidedAt}, {branches}, 0)");

        var error = await Assert.ThrowsAsync<DecisionLogDamagedException>(() => _rig.Log.ReadCommittedAsync(CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<DecisionLogDamagedException>(() => _rig.Coordinator.RecoverAsync(CancellationToken.None).AsTask());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("datapatterns_2pc_decisions", error.Location, StringComparison.Ordinal);
        await CrossEngineBank.MariaDbAsync(_rig.Bank.Orders, "DELETE FROM datapatterns_2pc_decisions");
    }

    [Theory]
    [InlineData("Decisions")]
    [InlineData("1table")]
    [InlineData("t`; DROP TABLE orders; --")]
    public void A_bad_table_name_is_refused_with_the_fix(string table)
    {
        var error = Assert.Throws<ArgumentException>(() => MySqlDecisionLog.Create(_rig.Bank.Orders, table));

        Assert.Contains("a-z 0-9 _", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_string_without_a_database_is_refused() =>
        Assert.Contains("Database=", Assert.Throws<ArgumentException>(() => MySqlDecisionLog.Create("Server=127.0.0.1;User ID=root")).Message, StringComparison.Ordinal);
}
