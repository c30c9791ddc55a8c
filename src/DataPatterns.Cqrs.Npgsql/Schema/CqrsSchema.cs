using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// Creates the outbox and bookkeeping tables once per database (idempotent, safe under concurrent start-ups). The schema
/// name is a checked plain identifier (<see cref="SqlNames.IsIdentifier"/>) and quoted wherever it appears.
/// </summary>
internal sealed class CqrsSchema(NpgsqlDataSource dataSource, string schema, bool readModelTables)
{
    private readonly Lock _lock = new();
    private Task? _creation;

    public ValueTask EnsureAsync(CancellationToken cancellationToken)
    {
        var creation = _creation;
        if (creation is { IsCompletedSuccessfully: true })
        {
            return ValueTask.CompletedTask;
        }

        lock (_lock)
        {
            if (_creation is null || _creation.IsFaulted || _creation.IsCanceled)
            {
                _creation = CreateAsync();
            }

            creation = _creation;
        }

        return new ValueTask(creation.WaitAsync(cancellationToken));
    }

    /// <summary>
    /// The synchronous twin for callers on a synchronous path (EF Core's <c>SaveChanges()</c>). It does not wait for an
    /// asynchronous creation in flight: the SQL is idempotent and serialized by an advisory lock, so it runs its own.
    /// </summary>
    public void Ensure()
    {
        if (_creation is { IsCompletedSuccessfully: true })
        {
            return;
        }

        using (var connection = dataSource.OpenConnection())
        using (var transaction = connection.BeginTransaction())
        {
            using (var command = new NpgsqlCommand(Sql(schema, readModelTables), connection, transaction))
            {
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        lock (_lock)
        {
            _creation = Task.CompletedTask;
        }
    }

    private async Task CreateAsync()
    {
        await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(Sql(schema, readModelTables), connection, transaction))
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }

    public static string Sql(string schema, bool readModelTables)
    {
        var s = SqlNames.Quote(schema);
        var events = $"""
            SELECT pg_advisory_xact_lock(hashtext('datapatterns.cqrs.schema'));
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.events (
                transaction_id bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
                sequence bigint GENERATED ALWAYS AS IDENTITY,
                stream_id text NOT NULL,
                event_type text NOT NULL,
                payload text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                PRIMARY KEY (transaction_id, sequence));
            """;
        if (!readModelTables)
        {
            return events;
        }

        return events + $"""

            CREATE TABLE IF NOT EXISTS {s}.projections (
                name text PRIMARY KEY,
                live_generation int NOT NULL,
                building_generation int,
                next_generation int NOT NULL);
            CREATE TABLE IF NOT EXISTS {s}.checkpoints (
                name text NOT NULL,
                generation int NOT NULL,
                transaction_id bigint NOT NULL,
                sequence bigint NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (name, generation));
            CREATE TABLE IF NOT EXISTS {s}.leases (
                name text PRIMARY KEY,
                holder text NOT NULL,
                token bigint NOT NULL,
                expires_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS {s}.dead_letters (
                name text NOT NULL,
                generation int NOT NULL,
                transaction_id bigint NOT NULL,
                sequence bigint NOT NULL,
                event_type text NOT NULL,
                stream_id text NOT NULL,
                payload text NOT NULL,
                created_at timestamptz NOT NULL,
                error text NOT NULL,
                attempts int NOT NULL,
                parked_at timestamptz NOT NULL,
                PRIMARY KEY (name, generation, transaction_id, sequence));
            {OwnedObjects(schema)}
            CREATE OR REPLACE FUNCTION {s}.fencing_failed() RETURNS void LANGUAGE plpgsql AS $fencing$
            BEGIN
                RAISE EXCEPTION USING ERRCODE = '{NpgsqlProjectionContext.FencingSqlState}',
                    MESSAGE = 'the lease token is no longer current or the checkpoint moved: another instance has taken over; the batch is rolled back';
            END
            $fencing$;
            """;
    }

    /// <summary>
    /// The record of every schema and view the read-model store created, which is all it may ever drop. A database from
    /// before the record existed adopts, once, only what the bookkeeping proves the store made: generation schemas with a
    /// checkpoint row, the view schema of a projection with a row, and views that read from its live generation.
    /// </summary>
    private static string OwnedObjects(string schema)
    {
        var s = SqlNames.Quote(schema);
        return $"""
            DO $owned$
            BEGIN
                IF to_regclass('{s}.owned_objects') IS NULL THEN
                    CREATE TABLE {s}.owned_objects (
                        schema_name text NOT NULL,
                        object_name text NOT NULL,
                        projection text NOT NULL,
                        kind text NOT NULL CHECK (kind IN ('generation', 'views', 'view')),
                        generation int,
                        created_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (schema_name, object_name));
                    INSERT INTO {s}.owned_objects (schema_name, object_name, projection, kind, generation)
                    SELECT c.name || '_g' || c.generation, '', c.name, 'generation', c.generation
                    FROM {s}.checkpoints c JOIN pg_namespace n ON n.nspname = c.name || '_g' || c.generation
                    ON CONFLICT DO NOTHING;
                    INSERT INTO {s}.owned_objects (schema_name, object_name, projection, kind)
                    SELECT p.name, '', p.name, 'views'
                    FROM {s}.projections p JOIN pg_namespace n ON n.nspname = p.name
                    ON CONFLICT DO NOTHING;
                    INSERT INTO {s}.owned_objects (schema_name, object_name, projection, kind, generation)
                    SELECT DISTINCT u.view_schema::text, u.view_name::text, p.name, 'view', p.live_generation
                    FROM {s}.projections p JOIN information_schema.view_table_usage u
                        ON u.view_schema::text = p.name AND u.table_schema::text = p.name || '_g' || p.live_generation
                    ON CONFLICT DO NOTHING;
                END IF;
            END
            $owned$;
            """;
    }
}
