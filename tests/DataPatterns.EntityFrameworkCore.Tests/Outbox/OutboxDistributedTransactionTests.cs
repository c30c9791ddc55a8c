using DataPatterns.EntityFrameworkCore.Tests.TwoPhaseCommit;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.Outbox;

/// <summary>The outbox inside a distributed branch: PREPARE TRANSACTION must not meet a NOTIFY, events clear at the commit.</summary>
public sealed class OutboxDistributedTransactionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Events_saved_in_a_branch_commit_or_roll_back_with_the_distributed_transaction(bool commit)
    {
        await using var shop = await ShopDatabase.CreateAsync("efoutbox2pc");
        await using var bank = await EfBank.CreateAsync("efoutbox2pc");
        await using var shopResource = NpgsqlTransactionResource.Create("shop", shop.Database.ConnectionString);
        await using var log = new FileDecisionLog(bank.LogPath("outbox"));
        var options = bank.Options();
        options.NodeId = bank.Node + "o";
        await using var coordinator = new TwoPhaseCommitCoordinator(options, log, [shopResource, bank.PaymentsResource]);

        await using var context = shop.Context();
        await using var payments = bank.Payments();
        var order = ShopOrder.Place("2pc-1", 12);
        await using (var tx = coordinator.Begin())
        {
            await tx.EnlistDbContextAsync(context, "shop");
            await tx.EnlistDbContextAsync(payments, "payments");
            context.Orders.Add(order);
            await context.SaveChangesAsync();
            (await payments.Accounts.SingleAsync(a => a.Id == 1)).Balance -= 12;
            await payments.SaveChangesAsync();
            Assert.Single(order.OutboxEvents);
            if (commit)
            {
                await tx.CommitAsync();
            }
        }

        Assert.Equal(commit ? [("2pc-1", "order_placed", "12")] : [], await shop.EventsAsync());
        Assert.Equal(commit ? 1 : 0, (await shop.OrdersAsync()).Count);
        Assert.Equal(commit ? 988 : 1000, await bank.BalanceAsync());
        Assert.Equal(commit ? 0 : 1, order.OutboxEvents.Count);
    }
}
