using System.Globalization;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// The schemas and views the read-model store creates, recorded in <c>owned_objects</c> in the same transaction that
/// creates them. The store drops, recreates or writes views into only what is recorded here for the same projection;
/// a schema that exists without a record (a user's schema whose name a projection happens to share) is refused.
/// </summary>
internal sealed class OwnedSchemas(string bookkeepingSchema)
{
    private const string Generation = "generation";
    private const string Views = "views";
    private const string View = "view";

    private readonly string _s = SqlNames.Quote(bookkeepingSchema);

    /// <summary>Creates the empty schema of a generation, replacing the store's own leftover of it (never anyone else's).</summary>
    public async Task CreateGenerationAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projection, int generation, CancellationToken cancellationToken)
    {
        var schema = SqlNames.GenerationSchema(projection, generation);
        if (await IsOwnedAsync(connection, transaction, schema, projection, Generation, cancellationToken).ConfigureAwait(false))
        {
            await RequireNoForeignDependentsAsync(connection, transaction, schema, projection, cancellationToken).ConfigureAwait(false);
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"DROP SCHEMA IF EXISTS {SqlNames.Quote(schema)} CASCADE; CREATE SCHEMA {SqlNames.Quote(schema)}", cancellationToken).ConfigureAwait(false);
            return;
        }

        await CreateAndRecordAsync(connection, transaction, schema, projection, Generation, generation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops a retired generation's schema, if the store created it; refuses if it exists but is not the store's.</summary>
    public async Task DropGenerationAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projection, int generation, CancellationToken cancellationToken)
    {
        var schema = SqlNames.GenerationSchema(projection, generation);
        if (await IsOwnedAsync(connection, transaction, schema, projection, Generation, cancellationToken).ConfigureAwait(false))
        {
            await RequireNoForeignDependentsAsync(connection, transaction, schema, projection, cancellationToken).ConfigureAwait(false);
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"DROP SCHEMA IF EXISTS {SqlNames.Quote(schema)} CASCADE", cancellationToken).ConfigureAwait(false);
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"DELETE FROM {_s}.owned_objects WHERE schema_name = $1", cancellationToken, schema).ConfigureAwait(false);
        }
        else if (await ExistsAsync(connection, transaction, schema, cancellationToken).ConfigureAwait(false))
        {
            throw NotOwned(schema, projection, $"generation {generation.ToString(CultureInfo.InvariantCulture)} is retired and its schema would be dropped");
        }
    }

    /// <summary>
    /// Recreates the views in schema <c>projection</c> over every table of <paramref name="generation"/>, in the caller's
    /// transaction (readers see old or new). Only views the store recorded are dropped; the schema must be the store's.
    /// </summary>
    public async Task PointViewsAtAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projection, int generation, CancellationToken cancellationToken)
    {
        var viewSchema = SqlNames.Quote(projection);
        if (await IsOwnedAsync(connection, transaction, projection, projection, Views, cancellationToken).ConfigureAwait(false))
        {
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {viewSchema}", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await CreateAndRecordAsync(connection, transaction, projection, projection, Views, null, cancellationToken).ConfigureAwait(false);
        }

        var oldViews = await NamesAsync(connection, transaction, $"SELECT object_name FROM {_s}.owned_objects WHERE schema_name = $1 AND projection = $1 AND kind = '{View}'", projection, cancellationToken).ConfigureAwait(false);
        foreach (var view in oldViews)
        {
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"DROP VIEW IF EXISTS {viewSchema}.{SqlNames.Quote(view)}", cancellationToken).ConfigureAwait(false);
        }

        await ReadModelCommands.ExecuteAsync(connection, transaction, $"DELETE FROM {_s}.owned_objects WHERE schema_name = $1 AND projection = $1 AND kind = '{View}'", cancellationToken, projection).ConfigureAwait(false);
        var generationSchema = SqlNames.GenerationSchema(projection, generation);
        var tables = await NamesAsync(connection, transaction, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", generationSchema, cancellationToken).ConfigureAwait(false);
        foreach (var table in tables)
        {
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"CREATE VIEW {viewSchema}.{SqlNames.Quote(table)} AS SELECT * FROM {SqlNames.Quote(generationSchema)}.{SqlNames.Quote(table)}", cancellationToken).ConfigureAwait(false);
            await ReadModelCommands.ExecuteAsync(connection, transaction, $"INSERT INTO {_s}.owned_objects (schema_name, object_name, projection, kind, generation) VALUES ($1, $2, $1, '{View}', $3)", cancellationToken, projection, table, generation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// CASCADE would also drop views elsewhere that read the schema's tables, and foreign keys that point at them. When a
    /// generation is dropped the store's own views already point at another one, so any such object is someone else's.
    /// </summary>
    private static async Task RequireNoForeignDependentsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, string projection, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT DISTINCT format('%I.%I (view)', vn.nspname, v.relname)
            FROM pg_depend d
            JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
            JOIN pg_class v ON v.oid = r.ev_class
            JOIN pg_namespace vn ON vn.oid = v.relnamespace
            JOIN pg_class t ON d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid
            JOIN pg_namespace tn ON tn.oid = t.relnamespace
            WHERE tn.nspname = $1 AND vn.nspname <> $1
            UNION
            SELECT format('%I.%I (foreign key %I)', cn.nspname, c.relname, k.conname)
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace cn ON cn.oid = c.relnamespace
            JOIN pg_class f ON f.oid = k.confrelid
            JOIN pg_namespace fn ON fn.oid = f.relnamespace
            WHERE k.contype = 'f' AND fn.nspname = $1 AND cn.nspname <> $1
            ORDER BY 1
            """;
        var dependents = await NamesAsync(connection, transaction, Sql, schema, cancellationToken).ConfigureAwait(false);
        if (dependents.Count > 0)
        {
            throw new SchemaNotOwnedException(
                schema,
                projection,
                $"Projection '{projection}': dropping its generation schema '{schema}' would also drop objects the store did not create, which depend on it: {string.Join(", ", dependents)}. Point them at the projection's views in schema '{projection}' (which follow every rebuild) or drop them yourself; nothing was changed.");
        }
    }

    private async Task<bool> IsOwnedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, string projection, string kind, CancellationToken cancellationToken)
    {
        await using var command = ReadModelCommands.Command(connection, transaction, $"SELECT projection, kind FROM {_s}.owned_objects WHERE schema_name = $1 AND object_name = '' FOR UPDATE", schema);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var (owner, ownerKind) = (reader.GetString(0), reader.GetString(1));
        if (owner != projection || ownerKind != kind)
        {
            throw new SchemaNotOwnedException(
                schema,
                projection,
                $"Projection '{projection}': the schema '{schema}' is the {Describe(ownerKind)} of projection '{owner}', so it cannot also be the {Describe(kind)} of '{projection}'; nothing was changed. Rename one of the projections.");
        }

        return true;
    }

    private async Task CreateAndRecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, string projection, string kind, int? generation, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(connection, transaction, schema, cancellationToken).ConfigureAwait(false))
        {
            throw NotOwned(schema, projection, $"it would become the projection's {Describe(kind)}");
        }

        await ReadModelCommands.ExecuteAsync(connection, transaction, $"CREATE SCHEMA {SqlNames.Quote(schema)}", cancellationToken).ConfigureAwait(false);
        await ReadModelCommands.ExecuteAsync(connection, transaction, $"INSERT INTO {_s}.owned_objects (schema_name, object_name, projection, kind, generation) VALUES ($1, '', $2, $3, $4)", cancellationToken, schema, projection, kind, (object?)generation ?? DBNull.Value).ConfigureAwait(false);
    }

    private SchemaNotOwnedException NotOwned(string schema, string projection, string why) => new(
        schema,
        projection,
        $"Projection '{projection}': the schema '{schema}' already exists and was not created by the read-model store (it is not recorded in {bookkeepingSchema}.owned_objects); {why}, so the store refuses and changed nothing. Rename the projection (IProjection.Name), or move your own objects out of '{schema}' and drop it.");

    private static string Describe(string kind) => kind switch
    {
        Generation => "generation schema",
        Views => "view schema",
        _ => kind,
    };

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken)
    {
        await using var command = ReadModelCommands.Command(connection, transaction, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    private static async Task<List<string>> NamesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string parameter, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using var command = ReadModelCommands.Command(connection, transaction, sql, parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
