using DataPatterns.Cqrs.Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class EventSourceVisibilityTests
{
    [Fact]
    public async Task A_later_numbered_event_is_not_handed_out_while_an_earlier_one_is_in_flight()
    {
        await using var db = await OutboxDatabase.CreateAsync("cqrs_visibility");
        var (c1, t1) = await db.BeginAsync();
        var (c2, t2) = await db.BeginAsync();
        await db.Outbox.AppendAsync(t1, new OutboxEvent("a", "deposited", "10")); // sequence 1, in flight
        await db.Outbox.AppendAsync(t2, new OutboxEvent("b", "deposited", "11")); // sequence 2
        await t2.CommitAsync();

        var first = await db.Source.ReadAsync(EventPosition.Start, 100, CancellationToken.None);
        Assert.Empty(first.Events);
        Assert.True(first.HasPending);

        await t1.CommitAsync();
        var second = await db.Source.ReadAsync(EventPosition.Start, 100, CancellationToken.None);
        Assert.Equal(["10", "11"], second.Events.Select(e => e.Payload));
        Assert.False(second.HasPending);
        await c1.DisposeAsync();
        await c2.DisposeAsync();
    }

    [Fact]
    public async Task An_in_flight_transaction_with_the_older_id_but_the_lower_number_is_still_read_exactly_once()
    {
        await using var db = await OutboxDatabase.CreateAsync("cqrs_visibility");

        // T2 gets its transaction id first, T1 takes the lower sequence number, T2 commits first, T1 last:
        // the case where ordering by sequence alone skips T1's event.
        var (c2, t2) = await db.BeginAsync(takeId: true);
        var (c1, t1) = await db.BeginAsync(takeId: true);
        await db.Outbox.AppendAsync(t1, new OutboxEvent("a", "deposited", "first-numbered"));
        await db.Outbox.AppendAsync(t2, new OutboxEvent("b", "deposited", "second-numbered"));
        await t2.CommitAsync();

        var seen = new List<string>();
        var checkpoint = EventPosition.Start;
        var read = await db.Source.ReadAsync(checkpoint, 100, CancellationToken.None);
        seen.AddRange(read.Events.Select(e => e.Payload));
        checkpoint = read.Events.Count > 0 ? read.Events[^1].Position : checkpoint;

        await t1.CommitAsync();
        read = await db.Source.ReadAsync(checkpoint, 100, CancellationToken.None);
        seen.AddRange(read.Events.Select(e => e.Payload));

        Assert.Equal(["first-numbered", "second-numbered"], seen.Order());
        await c1.DisposeAsync();
        await c2.DisposeAsync();
    }

    [Fact]
    public async Task A_rolled_back_transaction_releases_the_events_behind_it_and_is_never_read()
    {
        await using var db = await OutboxDatabase.CreateAsync("cqrs_visibility");
        var (c1, t1) = await db.BeginAsync();
        await db.Outbox.AppendAsync(t1, new OutboxEvent("a", "deposited", "rolled-back"));
        await db.CommitAsync(new OutboxEvent("b", "deposited", "kept-1"), new OutboxEvent("b", "deposited", "kept-2"));

        Assert.Empty((await db.Source.ReadAsync(EventPosition.Start, 100, CancellationToken.None)).Events);
        await t1.RollbackAsync();
        var read = await db.Source.ReadAsync(EventPosition.Start, 100, CancellationToken.None);
        Assert.Equal(["kept-1", "kept-2"], read.Events.Select(e => e.Payload));
        var lag = await db.Source.GetLagAsync(EventPosition.Start, CancellationToken.None);
        Assert.Equal(2, lag.EventsBehind);
        Assert.Equal(0, (await db.Source.GetLagAsync(read.Events[^1].Position, CancellationToken.None)).EventsBehind);
        await c1.DisposeAsync();
    }

    [Fact]
    public async Task A_commit_notification_wakes_a_waiting_reader()
    {
        await using var db = await OutboxDatabase.CreateAsync("cqrs_notify");
        await db.Source.WaitForEventsAsync(TimeSpan.FromSeconds(5), CancellationToken.None); // starts listening (wakes once)

        var wait = db.Source.WaitForEventsAsync(TimeSpan.FromMinutes(5), CancellationToken.None).AsTask();
        await db.CommitAsync(new OutboxEvent("a", "deposited", "1"));

        var finished = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(wait, finished);
    }
}
