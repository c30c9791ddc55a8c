using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class EventSourceVisibilityTests
{
    private static async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> BeginAsync(NpgsqlDataSource dataSource)
    {
        var connection = await dataSource.OpenConnectionAsync();
        return (connection, await connection.BeginTransactionAsync());
    }

    [Fact]
    public async Task A_later_numbered_event_is_not_handed_out_while_an_earlier_one_is_in_flight()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_visibility");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var options = new NpgsqlCqrsOptions();
        var outbox = new NpgsqlOutbox(dataSource, options);
        await outbox.EnsureCreatedAsync();
        await using var source = new NpgsqlEventSource(dataSource, options);

        var (c1, t1) = await BeginAsync(dataSource);
        var (c2, t2) = await BeginAsync(dataSource);
        await outbox.AppendAsync(t1, new OutboxEvent("a", "deposited", "10")); // sequence 1, in flight
        await outbox.AppendAsync(t2, new OutboxEvent("b", "deposited", "11")); // sequence 2
        await t2.CommitAsync();

        var first = await source.ReadAsync(EventPosition.Start, 100, CancellationToken.None);
        Assert.Empty(first.Events);
        Assert.True(first.HasPending);

        await t1.CommitAsync();
        var second = await source.ReadAsync(EventPosition.Start, 100, CancellationToken.None);
        Assert.Equal(["10", "11"], second.Events.Select(e => e.Payload));
        Assert.False(second.HasPending);
        await c1.DisposeAsync();
        await c2.DisposeAsync();
    }

    [Fact]
    public async Task An_in_flight_transaction_with_the_older_id_but_the_lower_number_is_still_read_exactly_once()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_visibility");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var options = new NpgsqlCqrsOptions();
        var outbox = new NpgsqlOutbox(dataSource, options);
        await outbox.EnsureCreatedAsync();
        await using var source = new NpgsqlEventSource(dataSource, options);

        // T2 gets its transaction id first, T1 takes the lower sequence number, T2 commits first, T1 last:
        // the case where ordering by sequence alone skips T1's event.
        var (c2, t2) = await BeginAsync(dataSource);
        await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", c2, t2))
        {
            await xid.ExecuteScalarAsync();
        }

        var (c1, t1) = await BeginAsync(dataSource);
        await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", c1, t1))
        {
            await xid.ExecuteScalarAsync();
        }

        await outbox.AppendAsync(t1, new OutboxEvent("a", "deposited", "first-numbered"));
        await outbox.AppendAsync(t2, new OutboxEvent("b", "deposited", "second-numbered"));
        await t2.CommitAsync();

        var seen = new List<string>();
        var checkpoint = EventPosition.Start;
        var read = await source.ReadAsync(checkpoint, 100, CancellationToken.None);
        seen.AddRange(read.Events.Select(e => e.Payload));
        checkpoint = read.Events.Count > 0 ? read.Events[^1].Position : checkpoint;

        await t1.CommitAsync();
        read = await source.ReadAsync(checkpoint, 100, CancellationToken.None);
        seen.AddRange(read.Events.Select(e => e.Payload));

        Assert.Equal(["first-numbered", "second-numbered"], seen.Order());
        await c1.DisposeAsync();
        await c2.DisposeAsync();
    }

    [Fact]
    public async Task A_rolled_back_transaction_releases_the_events_behind_it_and_is_never_read()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_visibility");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var options = new NpgsqlCqrsOptions();
        var outbox = new NpgsqlOutbox(dataSource, options);
        await outbox.EnsureCreatedAsync();
        await using var source = new NpgsqlEventSource(dataSource, options);

        var (c1, t1) = await BeginAsync(dataSource);
        await outbox.AppendAsync(t1, new OutboxEvent("a", "deposited", "rolled-back"));
        await using (var c2 = await dataSource.OpenConnectionAsync())
        await using (var t2 = await c2.BeginTransactionAsync())
        {
            await outbox.AppendAsync(t2, [new OutboxEvent("b", "deposited", "kept-1"), new OutboxEvent("b", "deposited", "kept-2")]);
            await t2.CommitAsync();
        }

        Assert.Empty((await source.ReadAsync(EventPosition.Start, 100, CancellationToken.None)).Events);
        await t1.RollbackAsync();
        var read = await source.ReadAsync(EventPosition.Start, 100, CancellationToken.None);
        Assert.Equal(["kept-1", "kept-2"], read.Events.Select(e => e.Payload));
        var lag = await source.GetLagAsync(EventPosition.Start, CancellationToken.None);
        Assert.Equal(2, lag.EventsBehind);
        Assert.Equal(0, (await source.GetLagAsync(read.Events[^1].Position, CancellationToken.None)).EventsBehind);
        await c1.DisposeAsync();
    }

    [Fact]
    public async Task A_commit_notification_wakes_a_waiting_reader()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_notify");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var options = new NpgsqlCqrsOptions();
        var outbox = new NpgsqlOutbox(dataSource, options);
        await outbox.EnsureCreatedAsync();
        await using var source = new NpgsqlEventSource(dataSource, options);
        await source.WaitForEventsAsync(TimeSpan.FromSeconds(5), CancellationToken.None); // starts listening (wakes once)

        var wait = source.WaitForEventsAsync(TimeSpan.FromMinutes(5), CancellationToken.None).AsTask();
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await outbox.AppendAsync(transaction, new OutboxEvent("a", "deposited", "1"));
            await transaction.CommitAsync();
        }

        var finished = await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(wait, finished);
    }
}

public sealed class EventSourceHorizonTests
{
    [Fact]
    public async Task A_long_transaction_in_another_database_does_not_hold_events_back_but_one_in_this_database_does()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_horizon");
        await using var elsewhere = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_elsewhere");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var options = new NpgsqlCqrsOptions();
        var outbox = new NpgsqlOutbox(dataSource, options);
        await outbox.EnsureCreatedAsync();
        await using var source = new NpgsqlEventSource(dataSource, options);

        // A transaction with an id, open in another database on the same server (the cluster-wide xmin stays behind it).
        await using var foreign = new NpgsqlConnection(elsewhere.ConnectionString);
        await foreign.OpenAsync();
        await using var foreignTransaction = await foreign.BeginTransactionAsync();
        await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", foreign, foreignTransaction))
        {
            await xid.ExecuteScalarAsync();
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await outbox.AppendAsync(transaction, new OutboxEvent("a", "deposited", "1"));
            await transaction.CommitAsync();
        }

        Assert.Single((await source.ReadAsync(EventPosition.Start, 10, CancellationToken.None)).Events);

        // The same in this database holds later events back until it ends.
        await using var local = await dataSource.OpenConnectionAsync();
        await using var localTransaction = await local.BeginTransactionAsync();
        await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", local, localTransaction))
        {
            await xid.ExecuteScalarAsync();
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await outbox.AppendAsync(transaction, new OutboxEvent("a", "deposited", "2"));
            await transaction.CommitAsync();
        }

        var held = await source.ReadAsync(EventPosition.Start, 10, CancellationToken.None);
        Assert.Single(held.Events);
        Assert.True(held.HasPending);
        await localTransaction.RollbackAsync();
        Assert.Equal(2, (await source.ReadAsync(EventPosition.Start, 10, CancellationToken.None)).Events.Count);
        await foreignTransaction.RollbackAsync();
    }
}
