using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class EventSourceHorizonTests
{
    [Fact]
    public async Task A_long_transaction_in_another_database_does_not_hold_events_back_but_one_in_this_database_does()
    {
        await using var db = await OutboxDatabase.CreateAsync("cqrs_horizon");
        await using var elsewhere = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_elsewhere");

        // A transaction with an id, open in another database on the same server (the cluster-wide xmin stays behind it).
        await using var foreign = new NpgsqlConnection(elsewhere.ConnectionString);
        await foreign.OpenAsync();
        await using var foreignTransaction = await foreign.BeginTransactionAsync();
        await OutboxDatabase.TakeTransactionIdAsync(foreign, foreignTransaction);

        await db.CommitAsync(new OutboxEvent("a", "deposited", "1"));
        Assert.Single((await ReadOnceVisibleAsync(db)).Events);

        // The same in this database holds later events back until it ends.
        var (local, localTransaction) = await db.BeginAsync(takeId: true);
        await using var localConnection = local;
        await db.CommitAsync(new OutboxEvent("a", "deposited", "2"));

        var held = await ReadOnceVisibleAsync(db);
        Assert.Single(held.Events); // never the second while the transaction before it is open
        Assert.True(held.HasPending);
        await localTransaction.RollbackAsync();
        Assert.Equal(2, (await db.Source.ReadAsync(EventPosition.Start, 10, CancellationToken.None)).Events.Count);
        await foreignTransaction.RollbackAsync();
    }

    /// <summary>
    /// Reads until the first event is visible. A session of the server's own (autovacuum analysing the new tables) can
    /// hold the horizon back for a moment on a busy machine; what the test checks is what is never read, not how soon.
    /// </summary>
    private static async Task<EventBatch> ReadOnceVisibleAsync(OutboxDatabase db)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var batch = await db.Source.ReadAsync(EventPosition.Start, 10, CancellationToken.None);
            if (batch.Events.Count > 0 || DateTime.UtcNow > deadline)
            {
                return batch;
            }

            await Task.Delay(20);
        }
    }
}
