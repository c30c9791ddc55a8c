using System.Transactions;
using DataPatterns.Transactions.Npgsql;

namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>The TransactionScope bridge with one branch on each engine.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class AmbientTransactionTests : IAsyncLifetime
{
    private CrossEngineCoordinator<FileDecisionLog> _rig = null!;

    public async Task InitializeAsync() =>
        _rig = await CrossEngineCoordinator<FileDecisionLog>.CreateAsync("xascope", static (_, directory) => new FileDecisionLog(Path.Combine(directory, "decisions.log")));

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_completed_scope_commits_on_postgres_and_mariadb()
    {
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            var transaction = _rig.Coordinator.JoinAmbientTransaction();
            var debit = await transaction.EnlistNpgsqlAsync("payments");
            var credit = await transaction.EnlistMySqlAsync("orders");
            await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, "o-scope", 15);
            scope.Complete();
        }

        Assert.Equal(985, await _rig.Bank.BalanceAsync());
        Assert.Equal(15, await _rig.Bank.OrdersTotalAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_scope_left_without_complete_rolls_both_back()
    {
        using (new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            var transaction = _rig.Coordinator.JoinAmbientTransaction();
            var debit = await transaction.EnlistNpgsqlAsync("payments");
            var credit = await transaction.EnlistMySqlAsync("orders");
            await CrossEngineBank.TransferAsync(debit.Connection, credit.Connection, "o-noscope", 15);
        }

        // The scope's rollback runs the coordinator's rollback asynchronously.
        for (var i = 0; i < 200 && await _rig.Bank.PreparedLeftAsync() + await _rig.Bank.OrderCountAsync() > 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(1000, await _rig.Bank.BalanceAsync());
        Assert.Equal(0, await _rig.Bank.OrderCountAsync());
        Assert.Equal(0, await _rig.Bank.PreparedLeftAsync());
    }
}
