using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.Outbox;

public sealed class OutboxInterceptorTests : IAsyncLifetime
{
    private ShopDatabase _shop = null!;

    public async Task InitializeAsync() => _shop = await ShopDatabase.CreateAsync("efoutbox");

    public async Task DisposeAsync() => await _shop.DisposeAsync();

    [Fact]
    public async Task SaveChanges_writes_the_entities_and_their_events_together_and_then_clears_the_events()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("o-1", 40);
        order.Raise("order_noted", "gift");
        context.Orders.Add(order);
        Assert.Equal(1, await context.SaveChangesAsync());

        Assert.Equal(40, (await _shop.OrdersAsync())["o-1"]);
        Assert.Equal([("o-1", "order_placed", "40"), ("o-1", "order_noted", "gift")], await _shop.EventsAsync());
        Assert.Empty(order.OutboxEvents);
    }

    [Fact]
    public async Task The_synchronous_SaveChanges_writes_the_events_in_the_same_transaction()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("sync-1", 3);
        context.Orders.Add(order);
        context.SaveChanges();
        Assert.Equal([("sync-1", "order_placed", "3")], await _shop.EventsAsync());
        Assert.Empty(order.OutboxEvents);
    }

    [Fact]
    public async Task An_event_the_outbox_refuses_saves_nothing_and_keeps_the_events()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("refused", 10, eventType: string.Empty);
        context.Orders.Add(order);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => context.SaveChangesAsync());
        Assert.Contains("empty event type", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _shop.OrdersAsync());
        Assert.Empty(await _shop.EventsAsync());
        Assert.Single(order.OutboxEvents);
        Assert.Equal(EntityState.Added, context.Entry(order).State);
    }

    [Fact]
    public async Task An_outbox_insert_the_database_rejects_saves_nothing_and_a_retry_writes_once()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("nul", 10, payload: "bad\0payload");
        context.Orders.Add(order);
        await Assert.ThrowsAnyAsync<Exception>(() => context.SaveChangesAsync());
        Assert.Empty(await _shop.OrdersAsync());
        Assert.Empty(await _shop.EventsAsync());
        Assert.Single(order.OutboxEvents);

        // The application fixes the event and retries: one row, one event.
        order.RemoveOutboxEvents(1);
        order.Raise("order_placed", "10");
        await context.SaveChangesAsync();
        Assert.Equal(10, (await _shop.OrdersAsync())["nul"]);
        Assert.Equal([("nul", "order_placed", "10")], await _shop.EventsAsync());
    }

    [Fact]
    public async Task An_entity_change_the_database_rejects_writes_no_event()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("negative", -5);
        context.Orders.Add(order);
        await Assert.ThrowsAsync<DbUpdateException>(() => context.SaveChangesAsync());
        Assert.Empty(await _shop.EventsAsync());
        Assert.Single(order.OutboxEvents);
    }

    [Fact]
    public async Task Events_on_an_unchanged_entity_are_committed_on_their_own()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("quiet", 1);
        context.Orders.Add(order);
        await context.SaveChangesAsync();
        order.Raise("order_viewed", "x");
        await context.SaveChangesAsync();
        Assert.Equal([("quiet", "order_placed", "1"), ("quiet", "order_viewed", "x")], await _shop.EventsAsync());
        Assert.Empty(order.OutboxEvents);
    }

    [Fact]
    public async Task Inside_the_applications_transaction_two_saves_write_each_event_once_and_clear_at_commit()
    {
        await using var context = _shop.Context();
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            var order = ShopOrder.Place("tx-1", 5);
            context.Orders.Add(order);
            await context.SaveChangesAsync();
            Assert.Single(order.OutboxEvents);
            order.Amount = 6;
            order.Raise("order_changed", "6");
            await context.SaveChangesAsync();
            Assert.Empty(await _shop.EventsAsync());
            await transaction.CommitAsync();
            Assert.Empty(order.OutboxEvents);
        }

        Assert.Equal([("tx-1", "order_placed", "5"), ("tx-1", "order_changed", "6")], await _shop.EventsAsync());
    }

    [Fact]
    public async Task A_rolled_back_application_transaction_keeps_the_events_for_the_next_save()
    {
        await using var context = _shop.Context();
        var order = ShopOrder.Place("rb-1", 5);
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            context.Orders.Add(order);
            await context.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        Assert.Single(order.OutboxEvents);
        context.Entry(order).State = EntityState.Added;
        await context.SaveChangesAsync();
        Assert.Equal([("rb-1", "order_placed", "5")], await _shop.EventsAsync());
    }

    [Fact]
    public async Task A_transaction_passed_to_UseTransaction_is_refused_when_events_are_pending()
    {
        await using var connection = await _shop.DataSource.OpenConnectionAsync();
        await using var own = await connection.BeginTransactionAsync();
        await using var context = _shop.Context();
        context.Database.SetDbConnection(connection);
        await context.Database.UseTransactionAsync(own);
        context.Orders.Add(ShopOrder.Place("foreign", 1));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.SaveChangesAsync());
        Assert.Contains("UseTransaction", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each byte is a save of 1..3 new orders, some of which fail (a negative amount the CHECK refuses, or an event the
    /// outbox refuses); a failed save is retried once fixed. The outbox holds each saved order's events exactly once, in
    /// the order each order raised them, and no event of an order that was never saved. A byte of 128 or more saves
    /// through the synchronous <c>SaveChanges()</c>, so both paths of the interceptor are mixed in one context.
    /// </summary>
    [Property(MaxTest = 10, EndSize = 15)]
    public async Task No_event_is_lost_or_doubled_across_random_saves_and_failures(byte[] saves)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var context = _shop.Context();
        var expected = new List<(string, string, string)>();
        var n = 0;
        foreach (var code in saves.Take(15))
        {
            var orders = Enumerable.Range(0, 1 + (code % 3)).Select(_ => ShopOrder.Place($"{tag}-{n++}", 1 + (code % 7))).ToList();
            var broken = orders[0];
            var failure = code / 3 % 3;
            if (failure == 1)
            {
                broken.Amount = -1;
            }
            else if (failure == 2)
            {
                broken.Raise(string.Empty, "refused");
            }

            context.Orders.AddRange(orders);
            var synchronous = code >= 128;
            try
            {
                await SaveAsync(context, synchronous);
                Assert.Equal(0, failure);
            }
            catch (Exception ex) when (ex is DbUpdateException or ArgumentException)
            {
                Assert.NotEqual(0, failure);
                Assert.All(orders, o => Assert.NotEmpty(o.OutboxEvents));
                if (failure == 1)
                {
                    broken.Amount = 1;
                }
                else
                {
                    broken.RemoveOutboxEvents(0);
                    FixRefused(broken);
                }

                await SaveAsync(context, synchronous);
            }

            Assert.All(orders, o => Assert.Empty(o.OutboxEvents));
            expected.AddRange(orders.Select(o => (o.Id, "order_placed", (1 + (code % 7)).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        var written = (await _shop.EventsAsync()).Where(e => e.Stream.StartsWith(tag + "-", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.OrderBy(e => e.Item1, StringComparer.Ordinal), written.OrderBy(e => e.Stream, StringComparer.Ordinal));
        Assert.Equal((await _shop.OrdersAsync()).Keys.Where(k => k.StartsWith(tag + "-", StringComparison.Ordinal)).Order(StringComparer.Ordinal), expected.Select(e => e.Item1).Order(StringComparer.Ordinal));
    }

    private static Task<int> SaveAsync(DbContext context, bool synchronous) =>
        synchronous ? Task.FromResult(context.SaveChanges()) : context.SaveChangesAsync();

    private static void FixRefused(ShopOrder order)
    {
        // Drop the refused second event: keep the first, which the fold expects.
        var first = order.OutboxEvents[0];
        order.RemoveOutboxEvents(order.OutboxEvents.Count);
        order.Raise(first.EventType, first.Payload);
    }
}
