using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.Outbox;

/// <summary>The synchronous <c>SaveChanges()</c> path of the outbox interceptor, step by step (it has its own code).</summary>
public sealed class OutboxSynchronousSaveTests : IAsyncLifetime
{
    private ShopDatabase _shop = null!;

    public async Task InitializeAsync() => _shop = await ShopDatabase.CreateAsync("efoutboxsync");

    public async Task DisposeAsync() => await _shop.DisposeAsync();

    [Fact]
    public async Task An_outbox_insert_the_database_rejects_saves_nothing_and_a_synchronous_retry_writes_once()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("nul", 10, payload: "bad\0payload");
        context.Orders.Add(order);
        Assert.ThrowsAny<Exception>(() => context.SaveChanges());
        Assert.Empty(await _shop.OrdersAsync());
        Assert.Empty(await _shop.EventsAsync());
        Assert.Single(order.OutboxEvents);

        order.RemoveOutboxEvents(1);
        order.Raise("order_placed", "10");
        context.SaveChanges();
        Assert.Equal(10, (await _shop.OrdersAsync())["nul"]);
        Assert.Equal([("nul", "order_placed", "10")], await _shop.EventsAsync());
        Assert.Empty(order.OutboxEvents);
    }

    [Fact]
    public async Task Events_on_an_unchanged_entity_are_committed_on_their_own_synchronously()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("quiet", 1);
        context.Orders.Add(order);
        context.SaveChanges();
        order.Raise("order_viewed", "x");
        context.SaveChanges();
        Assert.Equal([("quiet", "order_placed", "1"), ("quiet", "order_viewed", "x")], await _shop.EventsAsync());
        Assert.Empty(order.OutboxEvents);
    }

    [Fact]
    public async Task Inside_a_synchronous_application_transaction_a_failed_save_rolls_back_to_the_savepoint_and_the_retry_writes_once()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("tx-sync", 5);
        using (var transaction = context.Database.BeginTransaction())
        {
            var broken = ShopOrder.Place("tx-broken", -1);
            context.Orders.AddRange(order, broken);
            Assert.Throws<DbUpdateException>(() => context.SaveChanges());
            context.Orders.Remove(broken);
            context.SaveChanges();
            Assert.Single(order.OutboxEvents);
            transaction.Commit();
        }

        Assert.Empty(order.OutboxEvents);
        Assert.Equal([("tx-sync", "order_placed", "5")], await _shop.EventsAsync());
        Assert.Equal(["tx-sync"], (await _shop.OrdersAsync()).Keys);
    }

    [Fact]
    public async Task An_event_the_outbox_refuses_fails_the_synchronous_save_with_the_fix_named()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("refused", 10, eventType: string.Empty);
        context.Orders.Add(order);
        var error = Assert.Throws<ArgumentException>(() => context.SaveChanges());
        Assert.Contains("empty event type", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _shop.OrdersAsync());
        Assert.Empty(await _shop.EventsAsync());
        Assert.Single(order.OutboxEvents);
    }
}
