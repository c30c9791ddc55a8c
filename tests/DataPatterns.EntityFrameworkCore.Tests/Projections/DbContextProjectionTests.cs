using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DataPatterns.EntityFrameworkCore.Tests.Projections;

public sealed class DbContextProjectionTests : IAsyncLifetime
{
    private TemporaryDatabase _database = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NpgsqlProjectionStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "efprojection");
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        _store = new NpgsqlProjectionStore(_dataSource, new NpgsqlCqrsOptions());
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_batch_and_its_checkpoint_commit_together_and_a_replayed_batch_is_refused()
    {
        var projection = new BalancesProjection(BalancesProjection.Factory());
        var token = await OpenAsync(projection);
        var events = Deposits(1, ("a", 5), ("b", 7), ("a", 1));
        await _store.CommitBatchAsync(new ProjectionBatch(projection, 1, EventPosition.Start, events[^1].Position, events, [], token), CancellationToken.None);
        Assert.Equal(new Dictionary<string, (long, int)> { ["a"] = (6, 2), ["b"] = (7, 1) }, await ReadAsync());

        var replay = new ProjectionBatch(projection, 1, EventPosition.Start, events[^1].Position, events, [], token);
        await Assert.ThrowsAsync<LeadershipLostException>(async () => await _store.CommitBatchAsync(replay, CancellationToken.None));
        Assert.Equal(new Dictionary<string, (long, int)> { ["a"] = (6, 2), ["b"] = (7, 1) }, await ReadAsync());
    }

    [Fact]
    public async Task A_projector_whose_connection_dies_after_SaveChanges_leaves_read_model_and_checkpoint_unmoved()
    {
        var projection = new BalancesProjection(BalancesProjection.Factory());
        var token = await OpenAsync(projection);
        var events = Deposits(1, ("a", 5), ("b", 7));
        projection.AfterSave = static async (readModel, ct) =>
        {
            // The worst moment: the read model is written, the checkpoint not yet committed.
            await using var kill = readModel.Database.GetDbConnection().CreateCommand();
            kill.CommandText = "SELECT pg_terminate_backend(pg_backend_pid())";
            await kill.ExecuteNonQueryAsync(ct);
        };
        var batch = new ProjectionBatch(projection, 1, EventPosition.Start, events[^1].Position, events, [], token);
        await Assert.ThrowsAnyAsync<Exception>(async () => await _store.CommitBatchAsync(batch, CancellationToken.None));
        Assert.Empty(await ReadAsync());

        projection.AfterSave = null;
        await _store.CommitBatchAsync(batch, CancellationToken.None);
        Assert.Equal(new Dictionary<string, (long, int)> { ["a"] = (5, 1), ["b"] = (7, 1) }, await ReadAsync());
    }

    [Fact]
    public async Task A_read_model_that_names_a_schema_is_refused_with_the_fix()
    {
        var projection = new SchemaProjection(SchemaProjection.Factory());
        var token = await _store.TryAcquireAsync(projection.Name, "test", TimeSpan.FromMinutes(1), CancellationToken.None);
        var error = await Assert.ThrowsAsync<ProjectionConfigurationException>(async () => await _store.OpenAsync(projection, token!.Value, CancellationToken.None));
        Assert.Contains("schema 'reporting'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each byte ends a batch after 1..4 more events; a batch may die after its save (and is retried) or be replayed after
    /// it committed (and is refused). The fold counts every event exactly once.
    /// </summary>
    [Property(MaxTest = 6, EndSize = 12)]
    public async Task The_fold_counts_every_event_exactly_once_under_crashes_and_replays(byte[] batches)
    {
        var name = "efp" + Guid.NewGuid().ToString("N")[..10];
        var projection = new BalancesProjection(BalancesProjection.Factory(), name);
        var token = await OpenAsync(projection);
        var checkpoint = EventPosition.Start;
        var sequence = 0L;
        var expected = new Dictionary<string, (long, int)>(StringComparer.Ordinal);
        foreach (var code in batches.Take(12))
        {
            var events = Enumerable.Range(0, 1 + (code % 4))
                .Select(_ => { sequence++; return new EventEnvelope(new EventPosition(1, sequence), BalancesProjection.Deposited, "acct-" + (sequence % 3), (sequence % 5 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow); })
                .ToList();
            var batch = new ProjectionBatch(projection, 1, checkpoint, events[^1].Position, events, [], token);
            if (code / 4 % 3 == 1)
            {
                projection.AfterSave = static (_, _) => throw new InvalidOperationException("the projector died mid-batch");
                await Assert.ThrowsAsync<InvalidOperationException>(async () => await _store.CommitBatchAsync(batch, CancellationToken.None));
                projection.AfterSave = null;
            }

            await _store.CommitBatchAsync(batch, CancellationToken.None);
            if (code / 4 % 3 == 2)
            {
                await Assert.ThrowsAsync<LeadershipLostException>(async () => await _store.CommitBatchAsync(batch, CancellationToken.None));
            }

            foreach (var e in events)
            {
                var (total, count) = expected.GetValueOrDefault(e.StreamId);
                expected[e.StreamId] = (total + long.Parse(e.Payload, System.Globalization.CultureInfo.InvariantCulture), count + 1);
            }

            checkpoint = events[^1].Position;
        }

        Assert.Equal(expected, await ReadAsync(name));
    }

    private static List<EventEnvelope> Deposits(long transaction, params (string Account, long Amount)[] deposits) =>
        [.. deposits.Select((d, i) => new EventEnvelope(new EventPosition(transaction, i + 1), BalancesProjection.Deposited, d.Account, d.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow))];

    private async Task<long> OpenAsync(BalancesProjection projection)
    {
        var token = await _store.TryAcquireAsync(projection.Name, "test", TimeSpan.FromMinutes(5), CancellationToken.None);
        await _store.OpenAsync(projection, token!.Value, CancellationToken.None);
        return token.Value;
    }

    /// <summary>What readers see: the views in the projection's schema over the live generation.</summary>
    private async Task<Dictionary<string, (long, int)>> ReadAsync(string name = "efbalances")
    {
        var balances = new Dictionary<string, (long, int)>(StringComparer.Ordinal);
        await using var command = _dataSource.CreateCommand($"SELECT account, total, deposits FROM \"{name}\".balances");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            balances[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt32(2));
        }

        return balances;
    }
}
