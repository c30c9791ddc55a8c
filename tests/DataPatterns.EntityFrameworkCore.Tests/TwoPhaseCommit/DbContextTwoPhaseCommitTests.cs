using DataPatterns.Transactions;
using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.TwoPhaseCommit;

public sealed class DbContextTwoPhaseCommitTests : IAsyncLifetime
{
    private EfBank _bank = null!;

    private TwoPhaseCommitCoordinator Coordinator => _bank.Coordinator;

    public enum Fault
    {
        None,
        OrdersSaveFails,
        PaymentsSaveFails,
        ThrowBeforeCommit,
    }

    public async Task InitializeAsync()
    {
        _bank = await EfBank.CreateAsync("eftx");
    }

    public async Task DisposeAsync()
    {
        await _bank.DisposeAsync();
    }

    [Fact]
    public async Task SaveChanges_of_two_contexts_commits_on_both_databases_in_one_distributed_transaction()
    {
        await using var payments = _bank.Payments();
        await using var orders = _bank.Orders();
        await using (var tx = Coordinator.Begin())
        {
            await tx.EnlistDbContextAsync(payments, "payments");
            await tx.EnlistDbContextAsync(orders, "orders");
            (await payments.Accounts.SingleAsync(a => a.Id == 1)).Balance -= 30;
            orders.Orders.Add(new Order { Id = "o-1", Amount = 30 });
            await payments.SaveChangesAsync();
            await orders.SaveChangesAsync();

            // Before the commit nobody else sees the branch's writes.
            Assert.Equal(1000, await _bank.BalanceAsync());
            await tx.CommitAsync();
        }

        Assert.Equal((970L, 30L), (await _bank.BalanceAsync(), await _bank.OrdersTotalAsync()));
        Assert.Equal(0, await _bank.PreparedLeftAsync());

        // Detached after the transaction: the context opens a fresh connection of its own and sees the committed data.
        Assert.Null(payments.Database.CurrentTransaction);
        Assert.Equal(970, (await payments.Accounts.AsNoTracking().SingleAsync(a => a.Id == 1)).Balance);
        Assert.Equal(System.Data.ConnectionState.Closed, payments.Database.GetDbConnection().State);
    }

    /// <summary>
    /// Each byte is a transfer of 1..20 from the account to a new order with a fault: a SaveChanges failing on one side
    /// (a duplicate order id, an overdraft refused by a CHECK constraint) or an exception before the commit. Money is
    /// conserved, every transfer is all-or-nothing, nothing is left prepared.
    /// </summary>
    [Property(MaxTest = 8, EndSize = 10)]
    public async Task Money_is_conserved_and_each_transfer_is_both_or_neither_under_random_faults(byte[] transfers)
    {
        foreach (var code in transfers.Take(10))
        {
            var fault = (Fault)(code % 4);
            var amount = 1 + (code / 4 % 20);
            var balanceBefore = await _bank.BalanceAsync();
            var ordersBefore = await _bank.OrdersTotalAsync();
            var committed = await TransferAsync(amount, fault);
            var debited = balanceBefore - await _bank.BalanceAsync();
            var credited = await _bank.OrdersTotalAsync() - ordersBefore;
            Assert.Equal(committed ? (amount, amount) : (0L, 0L), (debited, credited));
            Assert.Equal(fault == Fault.None && balanceBefore >= amount, committed);
        }

        Assert.Equal(1000, await _bank.BalanceAsync() + await _bank.OrdersTotalAsync());
        Assert.Equal(0, await _bank.PreparedLeftAsync());
    }

    [Fact]
    public async Task A_context_with_a_transaction_of_its_own_is_refused()
    {
        await using var payments = _bank.Payments();
        await using var own = await payments.Database.BeginTransactionAsync();
        await using var tx = Coordinator.Begin();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await tx.EnlistDbContextAsync(payments, "payments"));
        Assert.Contains("already has a transaction of its own", error.Message, StringComparison.Ordinal);
        Assert.Empty(tx.GlobalIds);
    }

    [Fact]
    public async Task A_context_with_an_open_connection_is_refused()
    {
        await using var payments = _bank.Payments();
        await payments.Database.OpenConnectionAsync();
        await using var tx = Coordinator.Begin();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await tx.EnlistDbContextAsync(payments, "payments"));
        Assert.Contains("already has an open connection", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_participant_name_is_refused_with_the_registered_names()
    {
        await using var payments = _bank.Payments();
        await using var tx = Coordinator.Begin();
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(async () => await tx.EnlistDbContextAsync(payments, "billing"));
        Assert.Contains("'billing'", error.Message, StringComparison.Ordinal);
        Assert.Contains("payments", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_context_is_enlisted_in_one_branch_at_a_time()
    {
        await using var payments = _bank.Payments();
        await using var tx = Coordinator.Begin();
        await tx.EnlistDbContextAsync(payments, "payments");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await tx.EnlistDbContextAsync(payments, "orders"));
        Assert.Contains("already", error.Message, StringComparison.Ordinal);
        await tx.RollbackAsync();
    }

    [Fact]
    public async Task A_rolled_back_transaction_leaves_nothing_and_the_context_is_usable_again()
    {
        await using var orders = _bank.Orders();
        await using (var tx = Coordinator.Begin())
        {
            await tx.EnlistDbContextAsync(orders, "orders");
            orders.Orders.Add(new Order { Id = "rolled-back", Amount = 5 });
            await orders.SaveChangesAsync();
        }

        Assert.Equal(0, await _bank.OrdersTotalAsync());
        Assert.False(await orders.Orders.AnyAsync(o => o.Id == "rolled-back"));
        Assert.Equal(0, await _bank.PreparedLeftAsync());
    }

    private async Task<bool> TransferAsync(long amount, Fault fault)
    {
        var orderId = fault == Fault.OrdersSaveFails ? "duplicate" : Guid.NewGuid().ToString("N");
        if (fault == Fault.OrdersSaveFails)
        {
            await EfBank.ExecuteAsync(_bank.OrdersDatabase.ConnectionString, "INSERT INTO orders VALUES ('duplicate', 0) ON CONFLICT DO NOTHING");
        }

        await using var payments = _bank.Payments();
        await using var orders = _bank.Orders();
        await using var tx = Coordinator.Begin();
        try
        {
            await tx.EnlistDbContextAsync(payments, "payments");
            await tx.EnlistDbContextAsync(orders, "orders");
            var account = await payments.Accounts.SingleAsync(a => a.Id == 1);
            account.Balance -= fault == Fault.PaymentsSaveFails ? 100_000 : amount;
            orders.Orders.Add(new Order { Id = orderId, Amount = amount });
            await payments.SaveChangesAsync();
            await orders.SaveChangesAsync();
            if (fault == Fault.ThrowBeforeCommit)
            {
                throw new InvalidOperationException("the application failed before the commit");
            }

            await tx.CommitAsync();
            return true;
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException)
        {
            return false;
        }
    }
}
