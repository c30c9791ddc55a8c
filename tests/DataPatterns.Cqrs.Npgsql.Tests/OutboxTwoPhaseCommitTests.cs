using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

/// <summary>The outbox inside a transaction that is prepared (a two-phase-commit branch), as the Shop places orders.</summary>
public sealed class OutboxTwoPhaseCommitTests
{
    private static async Task PrepareAndCommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string globalId)
    {
        // PREPARE TRANSACTION ends the transaction block itself; the NpgsqlTransaction object is left without one.
        await using (var prepare = new NpgsqlCommand($"PREPARE TRANSACTION '{globalId}'", connection, transaction))
        {
            await prepare.ExecuteNonQueryAsync();
        }

        await using var commit = new NpgsqlCommand($"COMMIT PREPARED '{globalId}'", connection);
        await commit.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task An_event_appended_with_after_commit_notification_survives_prepare_and_is_read_once_committed()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_outbox_2pc");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var options = new NpgsqlCqrsOptions();
        var outbox = new NpgsqlOutbox(dataSource, options);
        await outbox.EnsureCreatedAsync();
        await using var source = new NpgsqlEventSource(dataSource, options);

        await using var connection = await dataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await outbox.AppendAsync(transaction, [new OutboxEvent("order-1", "order-placed", "{}"), new OutboxEvent("order-1", "order-paid", "{}")], OutboxNotification.AfterCommit);
        var globalId = $"outbox-test-{Guid.NewGuid():N}";
        await using (var prepare = new NpgsqlCommand($"PREPARE TRANSACTION '{globalId}'", connection, transaction))
        {
            await prepare.ExecuteNonQueryAsync();
        }

        var committed = false;
        try
        {
            // Prepared but not committed: still in flight, so the reader must not hand it out.
            var whilePrepared = await source.ReadAsync(EventPosition.Start, 10, CancellationToken.None);
            Assert.Empty(whilePrepared.Events);

            await using var commit = new NpgsqlCommand($"COMMIT PREPARED '{globalId}'", connection);
            await commit.ExecuteNonQueryAsync();
            committed = true;
        }
        finally
        {
            if (!committed)
            {
                // A prepared transaction outlives its session: leave none behind on the shared server.
                await using var rollback = new NpgsqlCommand($"ROLLBACK PREPARED '{globalId}'", connection);
                await rollback.ExecuteNonQueryAsync();
            }
        }

        await outbox.NotifyReadersAsync();
        var afterCommit = await source.ReadAsync(EventPosition.Start, 10, CancellationToken.None);
        Assert.Equal(["order-placed", "order-paid"], afterCommit.Events.Select(e => e.EventType));
    }

    [Fact]
    public async Task The_default_append_notifies_in_the_transaction_which_PostgreSQL_refuses_to_prepare()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_outbox_2pc");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var outbox = new NpgsqlOutbox(dataSource, new NpgsqlCqrsOptions());
        await outbox.EnsureCreatedAsync();

        await using var connection = await dataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await outbox.AppendAsync(transaction, new OutboxEvent("order-2", "order-placed", "{}"));
        var failure = await Assert.ThrowsAsync<PostgresException>(() => PrepareAndCommitAsync(connection, transaction, $"outbox-test-{Guid.NewGuid():N}"));
        Assert.Contains("NOTIFY", failure.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_notification_mode_is_refused_before_anything_is_written()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_outbox_2pc");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var outbox = new NpgsqlOutbox(dataSource, new NpgsqlCqrsOptions());
        await outbox.EnsureCreatedAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => outbox.AppendAsync(transaction, new OutboxEvent("x", "y", "{}"), (OutboxNotification)7).AsTask());
        await transaction.RollbackAsync();
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM cqrs.events");
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }
}
