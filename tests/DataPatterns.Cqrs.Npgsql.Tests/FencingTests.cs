using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class FencingTests
{
    /// <summary>
    /// Both ways a batch commits: one round trip in an implicit transaction (the projection only queues commands), and an
    /// explicit transaction (the projection flushes and reads inside the batch).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_paused_leader_cannot_write_after_a_new_one_took_over(bool explicitTransaction)
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_fencing");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        var projection = explicitTransaction
            ? new AccountsProjection(afterEachBatch: static async (context, ct) =>
            {
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM {context.Table("accounts")}", context.Connection, context.Transaction);
                await count.ExecuteScalarAsync(ct);
            })
            : new AccountsProjection();
        var e1 = new EventEnvelope(new EventPosition(100, 1), AccountsProjection.Deposited, "acct-1", "5", DateTimeOffset.UtcNow);
        var e2 = new EventEnvelope(new EventPosition(100, 2), AccountsProjection.Deposited, "acct-1", "7", DateTimeOffset.UtcNow);

        var oldToken = await store.TryAcquireAsync("accounts", "old", TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(1, oldToken);
        Assert.Null(await store.TryAcquireAsync("accounts", "new", TimeSpan.FromMinutes(1), CancellationToken.None));
        var opened = await store.OpenAsync(projection, oldToken!.Value, CancellationToken.None);
        Assert.Equal(new GenerationState(1, EventPosition.Start), opened.Live);

        // The old leader pauses past its lease; the new one takes over with a larger token.
        await using (var expire = dataSource.CreateCommand("UPDATE cqrs.leases SET expires_at = now() - interval '1 second'"))
        {
            await expire.ExecuteNonQueryAsync();
        }

        var newToken = await store.TryAcquireAsync("accounts", "new", TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(2, newToken);

        var stale = new ProjectionBatch(projection, 1, EventPosition.Start, e1.Position, [e1], [], oldToken.Value);
        var error = await Assert.ThrowsAsync<LeadershipLostException>(async () => await store.CommitBatchAsync(stale, CancellationToken.None));
        Assert.Contains("another instance has taken over", error.Message, StringComparison.Ordinal);
        Assert.Empty(await ReadModel.ReadAsync(database.ConnectionString));
        Assert.Null(await store.TryAcquireAsync("accounts", "old", TimeSpan.FromMinutes(1), CancellationToken.None));

        await store.CommitBatchAsync(new ProjectionBatch(projection, 1, EventPosition.Start, e2.Position, [e1, e2], [], newToken!.Value), CancellationToken.None);
        Assert.Equal((12L, 2L), (await ReadModel.ReadAsync(database.ConnectionString))["acct-1"]);

        // A writer whose idea of the checkpoint is stale is refused too, even with the current token.
        var replay = new ProjectionBatch(projection, 1, EventPosition.Start, e2.Position, [e1, e2], [], newToken.Value);
        await Assert.ThrowsAsync<LeadershipLostException>(async () => await store.CommitBatchAsync(replay, CancellationToken.None));
        Assert.Equal((12L, 2L), (await ReadModel.ReadAsync(database.ConnectionString))["acct-1"]);
    }
}
