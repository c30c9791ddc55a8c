using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// What a PostgreSQL projection gets for one batch: the connection and transaction shared with the checkpoint write,
/// the schema of the generation being written, and a command queue that is sent in one round trip together with the
/// checkpoint (<see cref="Execute"/>, <see cref="Upsert"/>, <see cref="UpsertAdd"/>). Call <see cref="FlushAsync"/>
/// before reading what the batch wrote so far.
/// </summary>
/// <remarks>
/// A projection that only queues commands costs one round trip per batch: the checkpoint guard, the queued commands and
/// the commit travel together as one implicit transaction (any failure rolls all of them back). Touching
/// <see cref="Connection"/> or <see cref="Transaction"/>, or calling <see cref="FlushAsync"/>, opens an explicit
/// transaction instead (no round trip of its own), and the batch then commits with a second round trip.
/// </remarks>
public sealed class NpgsqlProjectionContext : IDbProjectionContext
{
    /// <summary>The SQLSTATE the checkpoint guard raises when the lease token or the checkpoint is not what the batch expects.</summary>
    internal const string FencingSqlState = "DPFNC";

    private readonly List<NpgsqlBatchCommand> _queued = [];
    private readonly Dictionary<string, UpsertGroup> _upserts = new(StringComparer.Ordinal);
    private readonly NpgsqlConnection _connection;
    private NpgsqlTransaction? _transaction;
    private string? _guardMessage;

    internal NpgsqlProjectionContext(NpgsqlConnection connection, NpgsqlTransaction transaction, string projectionName, int generation)
        : this(connection, projectionName, generation)
    {
        _transaction = transaction;
    }

    /// <summary>A context whose transaction begins only if the projection needs it (see the remarks on the class).</summary>
    internal NpgsqlProjectionContext(NpgsqlConnection connection, string projectionName, int generation)
    {
        _connection = connection;
        ProjectionName = projectionName;
        Generation = generation;
        Schema = SqlNames.GenerationSchema(projectionName, generation);
    }

    /// <summary>The read-model database connection (inside <see cref="Transaction"/>, which begins when this is first read).</summary>
    public NpgsqlConnection Connection
    {
        get
        {
            EnsureTransaction();
            return _connection;
        }
    }

    /// <summary>The transaction that also writes the checkpoint; do not commit or roll it back.</summary>
    public NpgsqlTransaction Transaction => EnsureTransaction();

    /// <inheritdoc />
    System.Data.Common.DbConnection IDbProjectionContext.Connection => Connection;

    /// <inheritdoc />
    System.Data.Common.DbTransaction IDbProjectionContext.Transaction => Transaction;

    /// <summary>The projection's name; readers query its tables as <c>"name"."table"</c> (views over the live generation).</summary>
    public string ProjectionName { get; }

    /// <summary>The generation being written.</summary>
    public int Generation { get; }

    /// <summary>The schema of the generation being written (<c>name_gN</c>); create and write tables here only.</summary>
    public string Schema { get; }

    /// <summary>The quoted, schema-qualified name of a read-model table in this generation.</summary>
    /// <param name="table">The table name.</param>
    /// <returns><c>"name_gN"."table"</c>.</returns>
    public string Table(string table) => SqlNames.Quote(Schema) + "." + SqlNames.Quote(table);

    /// <summary>Queues a SQL command with positional parameters <c>$1, $2, ...</c>.</summary>
    /// <param name="sql">The SQL; use <see cref="Table"/> for table names.</param>
    /// <param name="parameters">The parameter values, in order.</param>
    public void Execute(string sql, params object?[] parameters)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ArgumentNullException.ThrowIfNull(parameters);
        SealUpserts();
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        _queued.Add(command);
    }

    /// <summary>
    /// Queues an insert-or-replace of one row (<c>INSERT ... ON CONFLICT (keys) DO UPDATE SET column = EXCLUDED.column</c>).
    /// Upserts into one table are merged per key (the last values win) and sent as multi-row statements.
    /// </summary>
    /// <param name="table">The table in this generation (unqualified).</param>
    /// <param name="keyColumnCount">How many of the leading <paramref name="columns"/> form the conflict key.</param>
    /// <param name="columns">The column names, key columns first.</param>
    /// <param name="values">The values, one per column.</param>
    public void Upsert(string table, int keyColumnCount, IReadOnlyList<string> columns, params object?[] values) =>
        Queue(table, keyColumnCount, columns, values, add: false);

    /// <summary>
    /// Queues an insert-or-add of one row: the non-key (numeric) columns are added to the existing row's values
    /// (<c>column = table.column + EXCLUDED.column</c>): counters and balances. Rows for one key are summed before sending,
    /// and rows into one table are sent as multi-row statements.
    /// </summary>
    /// <param name="table">The table in this generation (unqualified).</param>
    /// <param name="keyColumnCount">How many of the leading <paramref name="columns"/> form the conflict key.</param>
    /// <param name="columns">The column names, key columns first.</param>
    /// <param name="values">The values, one per column.</param>
    public void UpsertAdd(string table, int keyColumnCount, IReadOnlyList<string> columns, params object?[] values) =>
        Queue(table, keyColumnCount, columns, values, add: true);

    /// <summary>Sends the queued commands now (one round trip), inside the batch's transaction.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the commands ran.</returns>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        SendAsync(EnsureTransaction(), cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable> UseGenerationSchemaAsync(CancellationToken cancellationToken = default)
    {
        // set_config(..., true) is SET LOCAL: it ends with the transaction at the latest, and the handle restores it sooner.
        await using var command = new NpgsqlCommand("SELECT current_setting('search_path'), set_config('search_path', quote_ident($1), true)", _connection, EnsureTransaction());
        command.Parameters.Add(new NpgsqlParameter { Value = Schema });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new SearchPathScope(_connection, EnsureTransaction(), reader.GetString(0));
    }

    /// <summary>
    /// Sends what is queued and commits: with no explicit transaction, as one batch in one implicit transaction (one
    /// round trip); otherwise flushes, then commits the explicit transaction.
    /// </summary>
    internal async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        if (_transaction is null)
        {
            await SendAsync(null, cancellationToken).ConfigureAwait(false);
            return;
        }

        await SendAsync(_transaction, cancellationToken).ConfigureAwait(false);
        await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rolls back and releases an explicit transaction if one was begun and not committed.</summary>
    internal ValueTask DisposeTransactionAsync() => _transaction?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>
    /// Queues the fencing/checkpoint command first. It must raise <see cref="FencingSqlState"/> when it did not move the
    /// checkpoint, so that nothing sent with it (or later in its transaction) can commit.
    /// </summary>
    internal void QueueGuard(NpgsqlBatchCommand guard, string message)
    {
        _guardMessage = message;
        _queued.Insert(0, guard);
    }

    private NpgsqlTransaction EnsureTransaction() => _transaction ??= _connection.BeginTransaction();

    private async ValueTask SendAsync(NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        SealUpserts();
        if (_queued.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(_connection, transaction);
        foreach (var command in _queued)
        {
            batch.BatchCommands.Add(command);
        }

        _queued.Clear();
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == FencingSqlState && _guardMessage is not null)
        {
            throw new LeadershipLostException(_guardMessage, ex);
        }
    }

    private void Queue(string table, int keyColumnCount, IReadOnlyList<string> columns, object?[] values, bool add)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (keyColumnCount < 1 || keyColumnCount > columns.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(keyColumnCount), $"keyColumnCount must be between 1 and the number of columns ({columns.Count}).");
        }

        if (values.Length != columns.Count)
        {
            throw new ArgumentException($"Give one value per column: {columns.Count} columns, {values.Length} values.", nameof(values));
        }

        var signature = (add ? "+" : "=") + table + "(" + string.Join(",", columns) + ")/" + keyColumnCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!_upserts.TryGetValue(signature, out var group))
        {
            group = new UpsertGroup(Table(table), keyColumnCount, [.. columns], add);
            _upserts.Add(signature, group);
        }

        group.Add(values);
    }

    private void SealUpserts()
    {
        foreach (var group in _upserts.Values)
        {
            group.Emit(_queued);
        }

        _upserts.Clear();
    }

    private sealed class SearchPathScope(NpgsqlConnection connection, NpgsqlTransaction transaction, string previous) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (transaction.Connection is null)
            {
                return;
            }

            await using var command = new NpgsqlCommand("SELECT set_config('search_path', $1, true)", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = previous });
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }
}
