using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// The PostgreSQL read-model store: each generation of a projection is a schema (<c>name_gN</c>) and readers query
/// views in the schema <c>name</c> that point at the live generation. Every schema and view it creates is recorded in
/// <c>owned_objects</c>, and it drops only what is recorded there: a projection named like a user's schema is refused
/// (<see cref="SchemaNotOwnedException"/>), never emptied. A batch's read-model changes, its checkpoint and
/// the fencing check (the lease token, read <c>FOR SHARE</c>) commit in one transaction, so a batch takes effect exactly
/// once and a deposed leader cannot write. Also the projections' leases (<c>Leases/</c>) and dead-letter store
/// (<c>DeadLetters/</c>).
/// </summary>
public sealed partial class NpgsqlProjectionStore : IProjectionStore, IProjectionLeases, IDeadLetterStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlCqrsOptions _options;
    private readonly CqrsSchema _schema;
    private readonly OwnedSchemas _owned;
    private readonly string _quotedSchema;

    /// <summary>Creates the store.</summary>
    /// <param name="dataSource">The read models' database.</param>
    /// <param name="options">Schema names and the retired-generation policy.</param>
    public NpgsqlProjectionStore(NpgsqlDataSource dataSource, NpgsqlCqrsOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        SqlNames.RequireNames(options);
        _dataSource = dataSource;
        _options = options;
        _schema = new CqrsSchema(dataSource, options.Schema, readModelTables: true);
        _owned = new OwnedSchemas(options.Schema);
        _quotedSchema = SqlNames.Quote(options.Schema);
    }

    /// <inheritdoc />
    public bool CanRun(IProjection projection, out string reason)
    {
        ArgumentNullException.ThrowIfNull(projection);
        if (SqlNames.ProjectionNameProblem(projection.Name, _options.Schema) is { } problem)
        {
            reason = problem;
            return false;
        }

        if (projection is IProjection<NpgsqlProjectionContext>)
        {
            reason = string.Empty;
            return true;
        }

        reason = "the PostgreSQL store runs projections that implement IProjection<NpgsqlProjectionContext>; implement that interface.";
        return false;
    }

    /// <inheritdoc />
    public async ValueTask<ProjectionGenerations> OpenAsync(IProjection projection, long fencingToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var typed = AsTyped(projection);
        RequireUsableName(projection);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await CheckTokenAsync(connection, transaction, projection.Name, fencingToken, cancellationToken).ConfigureAwait(false);

        int live;
        int? building;
        await using (var select = ReadModelCommands.Command(connection, transaction, $"SELECT live_generation, building_generation FROM {_quotedSchema}.projections WHERE name = $1 FOR UPDATE", projection.Name))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                live = reader.GetInt32(0);
                building = reader.IsDBNull(1) ? null : reader.GetInt32(1);
            }
            else
            {
                live = 0;
                building = null;
            }
        }

        if (live == 0)
        {
            live = 1;
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"INSERT INTO {_quotedSchema}.projections (name, live_generation, building_generation, next_generation) VALUES ($1, 1, NULL, 2)", cancellationToken, projection.Name).ConfigureAwait(false);
            await CreateGenerationAsync(connection, transaction, typed, 1, cancellationToken).ConfigureAwait(false);
            await _owned.PointViewsAtAsync(connection, transaction, projection.Name, 1, cancellationToken).ConfigureAwait(false);
        }

        var liveCheckpoint = await ReadCheckpointAsync(connection, transaction, projection.Name, live, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Projection '{projection.Name}': the checkpoint of live generation {live} is missing from {_options.Schema}.checkpoints; restore it or delete the projection's row in {_options.Schema}.projections to start over.");
        GenerationState? buildingState = null;
        if (building is { } b)
        {
            var checkpoint = await ReadCheckpointAsync(connection, transaction, projection.Name, b, cancellationToken).ConfigureAwait(false);
            if (checkpoint is null)
            {
                await CreateGenerationAsync(connection, transaction, typed, b, cancellationToken).ConfigureAwait(false);
                checkpoint = EventPosition.Start;
            }

            buildingState = new GenerationState(b, checkpoint.Value);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectionGenerations(new GenerationState(live, liveCheckpoint), buildingState);
    }

    /// <inheritdoc />
    public async ValueTask CommitBatchAsync(ProjectionBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var name = batch.Projection.Name;
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var context = new NpgsqlProjectionContext(connection, name, batch.Generation);
        try
        {
            await ApplyAndCommitAsync(batch, context, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await context.DisposeTransactionAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask ApplyAndCommitAsync(ProjectionBatch batch, NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        var name = batch.Projection.Name;

        // First in the round trip: move the checkpoint only if it is where we think and our lease token is current,
        // else raise (so nothing of the batch commits). FOR SHARE on the lease row makes a new leader's take-over wait
        // until this transaction ends.
        var guard = new NpgsqlBatchCommand($"""
            WITH moved AS (
                UPDATE {_quotedSchema}.checkpoints SET transaction_id = $1, sequence = $2, updated_at = now()
                WHERE name = $3 AND generation = $4 AND transaction_id = $5 AND sequence = $6
                  AND (SELECT token FROM {_quotedSchema}.leases WHERE name = $3 FOR SHARE) = $7
                RETURNING 1)
            SELECT {_quotedSchema}.fencing_failed() FROM (SELECT count(*) AS n FROM moved) m WHERE m.n <> 1
            """);
        AddParameters(guard, batch.To.Transaction, batch.To.Sequence, name, batch.Generation, batch.From.Transaction, batch.From.Sequence, batch.FencingToken);
        context.QueueGuard(guard, string.Create(CultureInfo.InvariantCulture, $"Projection '{name}' generation {batch.Generation}: the lease token {batch.FencingToken} is no longer current or the checkpoint is no longer {batch.From}; another instance has taken over, nothing was written."));

        if (batch.Events.Count > 0)
        {
            await AsTyped(batch.Projection).ApplyAsync(batch.Events, context, cancellationToken).ConfigureAwait(false);
        }

        foreach (var letter in batch.DeadLetters)
        {
            context.Execute(
                $"""
                INSERT INTO {_quotedSchema}.dead_letters AS d (name, generation, transaction_id, sequence, event_type, stream_id, payload, created_at, error, attempts, parked_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (name, generation, transaction_id, sequence) DO UPDATE SET error = EXCLUDED.error, attempts = d.attempts + EXCLUDED.attempts, parked_at = EXCLUDED.parked_at
                """,
                letter.ProjectionName,
                letter.Generation,
                letter.Event.Position.Transaction,
                letter.Event.Position.Sequence,
                letter.Event.EventType,
                letter.Event.StreamId,
                letter.Event.Payload,
                letter.Event.CreatedAt,
                letter.Error,
                letter.Attempts,
                letter.ParkedAt);
        }

        await context.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SwitchToAsync(IProjection projection, int generation, long fencingToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projection);
        RequireUsableName(projection);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await CheckTokenAsync(connection, transaction, projection.Name, fencingToken, cancellationToken).ConfigureAwait(false);
        int old;
        await using (var select = ReadModelCommands.Command(connection, transaction, $"SELECT live_generation, building_generation FROM {_quotedSchema}.projections WHERE name = $1 FOR UPDATE", projection.Name))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.IsDBNull(1) || reader.GetInt32(1) != generation)
            {
                throw new LeadershipLostException($"Projection '{projection.Name}': generation {generation} is no longer the one being rebuilt; another instance switched it.");
            }

            old = reader.GetInt32(0);
        }

        await ReadModelCommands.ExecuteAsync(connection, transaction, $"UPDATE {_quotedSchema}.projections SET live_generation = $2, building_generation = NULL WHERE name = $1", cancellationToken, projection.Name, generation).ConfigureAwait(false);
        await _owned.PointViewsAtAsync(connection, transaction, projection.Name, generation, cancellationToken).ConfigureAwait(false);
        if (!_options.KeepRetiredGenerations)
        {
            await _owned.DropGenerationAsync(connection, transaction, projection.Name, old, cancellationToken).ConfigureAwait(false);
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"DELETE FROM {_quotedSchema}.checkpoints WHERE name = $1 AND generation = $2", cancellationToken, projection.Name, old).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<int> RequestRebuildAsync(string projectionName, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            UPDATE {_quotedSchema}.projections
            SET building_generation = COALESCE(building_generation, next_generation),
                next_generation = CASE WHEN building_generation IS NULL THEN next_generation + 1 ELSE next_generation END
            WHERE name = $1
            RETURNING building_generation
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = projectionName });
        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return result is int generation
            ? generation
            : throw new InvalidOperationException($"Projection '{projectionName}' has not run yet, so there is nothing to rebuild; start the host (the runner builds generation 1 on first start).");
    }

    /// <inheritdoc />
    public bool IsTransient(Exception exception) => IsTransientFailure(exception);

    /// <summary>True for failures of the connection or the server's availability, not of the SQL sent.</summary>
    internal static bool IsTransientFailure(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || pg.SqlState is "53300" or "40001" or "40P01" or "55P03",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or TimeoutException,
        TimeoutException or SocketException or IOException => true,
        _ => false,
    };

    private static IProjection<NpgsqlProjectionContext> AsTyped(IProjection projection) =>
        projection as IProjection<NpgsqlProjectionContext>
        ?? throw new ProjectionConfigurationException($"Projection '{projection.Name}' ({projection.GetType().Name}) does not implement IProjection<NpgsqlProjectionContext>; the PostgreSQL store cannot run it.");

    private async Task CreateGenerationAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IProjection<NpgsqlProjectionContext> projection, int generation, CancellationToken cancellationToken)
    {
        await _owned.CreateGenerationAsync(connection, transaction, projection.Name, generation, cancellationToken).ConfigureAwait(false);
        var context = new NpgsqlProjectionContext(connection, transaction, projection.Name, generation);
        await projection.InitializeAsync(context, cancellationToken).ConfigureAwait(false);
        await context.FlushAsync(cancellationToken).ConfigureAwait(false);
        await ReadModelCommands.ExecuteAsync(connection, transaction, $"INSERT INTO {_quotedSchema}.checkpoints (name, generation, transaction_id, sequence) VALUES ($1, $2, 0, 0)", cancellationToken, projection.Name, generation).ConfigureAwait(false);
    }

    /// <summary>The runner checks names at start-up; this covers a store used on its own, before any name reaches SQL.</summary>
    private void RequireUsableName(IProjection projection)
    {
        if (SqlNames.ProjectionNameProblem(projection.Name, _options.Schema) is { } problem)
        {
            throw new ProjectionConfigurationException($"Projection {projection.GetType().Name}: {problem}");
        }
    }

    private async Task<EventPosition?> ReadCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, int generation, CancellationToken cancellationToken)
    {
        await using var command = ReadModelCommands.Command(connection, transaction, $"SELECT transaction_id, sequence FROM {_quotedSchema}.checkpoints WHERE name = $1 AND generation = $2", name, generation);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? new EventPosition(reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    private static void AddParameters(NpgsqlBatchCommand command, params object[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
    }
}
