using Npgsql;
using NpgsqlTypes;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A decision log in a PostgreSQL table: one row per open commit decision (synchronous_commit makes the insert
/// durable), and abort rows that fence a late last-resource commit out. Several coordinator nodes may share one table:
/// recovery only reads the rows of its own branches. When the table is in the database of one of the transaction's
/// resources, that resource can commit with the decision inside its own commit
/// (<see cref="TwoPhaseCommitOptions.LastResourceCommit"/>).
/// </summary>
public sealed class NpgsqlDecisionLog : IFencingDecisionLog, ICoordinatorNodeClaim, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _table;

    // The table as schema.name, resolved once it exists: a last-resource commit writes it from the resource's own
    // session, whose search_path may differ from this log's, and must land in the very table the fence reads.
    private volatile string? _qualifiedTable;
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private const int MaxDeletesPerStatement = 1000;
    private static readonly TimeSpan ForgetFlushDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan FenceLockTimeout = TimeSpan.FromSeconds(10);
    private readonly Lock _forgetGate = new();
    private readonly HashSet<Guid> _forgotten = [];
    private readonly CancellationTokenSource _disposing = new();
    private Task _forgetFlusher = Task.CompletedTask;
    private bool _flushScheduled;
    private int _disposed;
    private volatile bool _created;

    /// <summary>Uses <paramref name="dataSource"/> and the table <paramref name="tableName"/> (created when missing).</summary>
    public NpgsqlDecisionLog(NpgsqlDataSource dataSource, string tableName = "datapatterns_2pc_decisions")
        : this(dataSource, tableName, ownsDataSource: false)
    {
    }

    private NpgsqlDecisionLog(NpgsqlDataSource dataSource, string tableName, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        if (tableName.Length > 63 || !tableName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') || char.IsAsciiDigit(tableName[0]))
        {
            throw new ArgumentException($"The decision-log table name '{tableName}' (the tableName of UseNpgsqlDecisionLog / NpgsqlDecisionLog) is invalid: use up to 63 of a-z 0-9 _, starting with a letter or _. The table is created in the connection's search_path; to put it in a schema, set 'Search Path' in the connection string.", nameof(tableName));
        }

        _dataSource = dataSource;

        // Quoted as well as checked, so that a name that is also an SQL keyword (user, order) still names a table.
        _table = QuoteIdentifier(tableName);
        _ownsDataSource = ownsDataSource;
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Location = DatabaseLocation.Of(settings);
    }

    /// <inheritdoc />
    string ICoordinatorNodeClaim.NodeClaimScope => Location.ToString();

    /// <inheritdoc />
    ValueTask<IHeldNodeClaim> ICoordinatorNodeClaim.ClaimNodeAsync(string prefix, string nodeId, NodeClaimOwner owner, CancellationToken cancellationToken) =>
        PostgresNodeClaim.ClaimAsync(_dataSource, $"{Location} (the decision log's database)", prefix, nodeId, owner, cancellationToken);

    /// <summary>A PostgreSQL identifier in double quotes, an embedded double quote doubled.</summary>
    internal static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>The table as every statement after <see cref="EnsureCreatedAsync"/> names it.</summary>
    private string Table => _qualifiedTable ?? _table;

    /// <summary>The server and database the table is in.</summary>
    internal DatabaseLocation Location { get; }

    /// <summary>Creates a log with a data source of its own from <paramref name="connectionString"/>.</summary>
    public static NpgsqlDecisionLog Create(string connectionString, string tableName = "datapatterns_2pc_decisions")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Enlist = false };
        return new NpgsqlDecisionLog(NpgsqlDataSource.Create(builder), tableName, ownsDataSource: true);
    }

    /// <inheritdoc />
    public async ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        if (TakeForgottenDelete() is { } delete)
        {
            batch.BatchCommands.Add(delete); // finished decisions ride along: no round trip of their own
        }

        batch.BatchCommands.Add(CreateRecordCommand(decision, replayable: true));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT aborted FROM {Table} WHERE transaction_id = $1") { Parameters = { new NpgsqlParameter<Guid> { TypedValue = decision.TransactionId } } });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && reader.GetBoolean(0))
        {
            throw new InvalidOperationException($"Transaction {decision.TransactionId:N} was already recorded as aborted (by recovery, which presumed it dead); it cannot commit now.");
        }
    }

    /// <summary>
    /// The insert of a commit decision. <paramref name="replayable"/>: a repeated insert changes nothing (the caller then
    /// checks for an abort row); otherwise any existing row, an abort's fence above all, makes it fail.
    /// </summary>
    internal NpgsqlBatchCommand CreateRecordCommand(CommitDecision decision, bool replayable) => new(
        $"INSERT INTO {Table} (transaction_id, decided_at, resources, global_ids) VALUES ($1, $2, $3, $4)" + (replayable ? " ON CONFLICT (transaction_id) DO NOTHING" : string.Empty))
    {
        Parameters =
        {
            new NpgsqlParameter<Guid> { TypedValue = decision.TransactionId },
            new NpgsqlParameter<DateTimeOffset> { TypedValue = decision.DecidedAt.ToUniversalTime() },
            new NpgsqlParameter<string[]> { TypedValue = decision.Branches.Select(b => b.ResourceName).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter<string[]> { TypedValue = decision.Branches.Select(b => b.GlobalId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        },
    };

    /// <summary>
    /// Marks the decision finished; it is no longer read from here on. The row is deleted later without a round trip of
    /// its own: inside the next decision's insert or last-resource commit, or by a grouped delete at most half a second
    /// later, committed without waiting for a flush. A delete lost in a crash only leaves a row that recovery finds
    /// finished and forgets again.
    /// </summary>
    public ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        lock (_forgetGate)
        {
            _forgotten.Add(transactionId);
            if (!_flushScheduled && _disposed == 0)
            {
                _flushScheduled = true;
                _forgetFlusher = FlushForgottenLaterAsync(); // returns at its first wait: cheap under the lock
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A delete of forgotten decisions (up to a thousand) for the caller's batch, or null when none waits.</summary>
    internal NpgsqlBatchCommand? TakeForgottenDelete()
    {
        Guid[] ids;
        lock (_forgetGate)
        {
            if (_forgotten.Count == 0)
            {
                return null;
            }

            ids = _forgotten.Count <= MaxDeletesPerStatement ? [.. _forgotten] : [.. _forgotten.Take(MaxDeletesPerStatement)];
            foreach (var id in ids)
            {
                _forgotten.Remove(id);
            }
        }

        return new NpgsqlBatchCommand($"DELETE FROM {Table} WHERE transaction_id = ANY($1)")
        {
            Parameters = { new NpgsqlParameter<Guid[]> { TypedValue = ids } },
        };
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT transaction_id, decided_at, resources, global_ids FROM {Table} WHERE NOT aborted", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var decisions = new List<CommitDecision>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (IsForgotten(reader.GetGuid(0)))
            {
                continue; // its row is about to be deleted
            }

            decisions.Add(ReadDecision(reader));
        }

        return decisions;
    }

    /// <summary>
    /// One row as a decision; a row that does not make sense stops the read (and so recovery) with a
    /// <see cref="DecisionLogDamagedException"/> rather than being skipped or cut short: a branch dropped from a decision
    /// would be rolled back by recovery although its transaction committed.
    /// </summary>
    private CommitDecision ReadDecision(NpgsqlDataReader reader)
    {
        var id = reader.GetGuid(0);
        DateTimeOffset decidedAt;
        string?[] resources;
        string?[] globalIds;
        try
        {
            decidedAt = reader.GetFieldValue<DateTimeOffset>(1);
            resources = reader.GetFieldValue<string?[]>(2);
            globalIds = reader.GetFieldValue<string?[]>(3);
        }
        catch (Exception ex) when (ex is InvalidCastException or OverflowException or ArgumentOutOfRangeException)
        {
            throw Unreadable(id, $"a value cannot be read ({ex.Message})", ex);
        }

        if (decidedAt == DateTimeOffset.MinValue || decidedAt == DateTimeOffset.MaxValue)
        {
            throw Unreadable(id, "its decided_at is infinite", null);
        }

        if (resources.Length != globalIds.Length)
        {
            throw Unreadable(id, $"it names {resources.Length} resources but {globalIds.Length} global ids", null);
        }

        var branches = new CommitBranch[resources.Length];
        for (var i = 0; i < branches.Length; i++)
        {
            if (string.IsNullOrEmpty(resources[i]) || string.IsNullOrEmpty(globalIds[i]))
            {
                throw Unreadable(id, $"branch {i + 1} has an empty resource or global id", null);
            }

            branches[i] = new CommitBranch(resources[i]!, globalIds[i]!);
        }

        return new CommitDecision(id, decidedAt, branches);
    }

    private DecisionLogDamagedException Unreadable(Guid transactionId, string problem, Exception? inner) => new(
        $"{Location} {Table}",
        -1,
        0,
        transactionId,
        $"The decision log table {Table} on {Location} has a row that does not make sense: transaction {transactionId:N}, {problem}. Recovery stops rather than skip it (a skipped commit decision would have its branches rolled back). Fix or delete the row by hand after checking that transaction's prepared branches (pg_prepared_xacts, gid containing {transactionId:N}) on every resource; only this coordinator's library writes this table.",
        inner);

    /// <inheritdoc />
    /// <remarks>
    /// The abort row's insert waits on the primary key for a commit decision that another session is still writing, then
    /// either finds it committed (false) or takes the key itself, after which that decision's insert can only fail.
    /// </remarks>
    public async ValueTask<bool> TryRecordAbortAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // One statement, so that nothing (a purge, a forget) can remove the row between writing and reading it. The
        // no-op update makes RETURNING report an existing row; the wait on a decision in flight is bounded, and a lock
        // timeout surfaces as an error (the outcome stays unknown; recovery tries again).
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {(int)FenceLockTimeout.TotalMilliseconds}"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"INSERT INTO {Table} AS d (transaction_id, decided_at, resources, global_ids, aborted) VALUES ($1, now(), '{{}}', '{{}}', true) " +
            "ON CONFLICT (transaction_id) DO UPDATE SET aborted = d.aborted RETURNING aborted")
        {
            Parameters = { new NpgsqlParameter<Guid> { TypedValue = transactionId } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        bool aborted;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            aborted = reader.GetBoolean(0);
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
                // Consume the COMMIT so that its error, if any, surfaces here.
            }
        }

        return aborted;
    }

    /// <inheritdoc />
    public async ValueTask PurgeAbortsAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // Aged on the server's clock, which also stamped the rows: a skewed application clock cannot purge a fresh fence.
        await using var command = new NpgsqlCommand($"DELETE FROM {Table} WHERE aborted AND decided_at < now() - $1", connection);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = olderThan });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        Task flusher;
        lock (_forgetGate)
        {
            flusher = _forgetFlusher;
        }

        await flusher.ConfigureAwait(false);
        _disposing.Dispose();

        _createGate.Dispose();
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Creates the table (or adds the abort column to one made by an earlier version) on first use.</summary>
    internal async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _createGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_created)
            {
                return;
            }

            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            // The ALTER (for a table made by an earlier version) runs only when the column is missing: it would take an
            // exclusive lock on the table every other node is writing to, even as a no-op.
            await using var command = new NpgsqlCommand(
                $"CREATE TABLE IF NOT EXISTS {_table} (transaction_id uuid PRIMARY KEY, decided_at timestamptz NOT NULL, resources text[] NOT NULL, global_ids text[] NOT NULL, aborted boolean NOT NULL DEFAULT false); " +
                $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('{_table}') AND attname = 'aborted' AND NOT attisdropped) " +
                $"THEN ALTER TABLE {_table} ADD COLUMN aborted boolean NOT NULL DEFAULT false; END IF; END $$",
                connection);
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateColumn)
            {
                // Another process created it at the same moment.
            }

            await using (var qualify = new NpgsqlCommand(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                connection))
            {
                qualify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _table });
                _qualifiedTable = (string?)await qualify.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? _table;
            }

            _created = true;
        }
        finally
        {
            _createGate.Release();
        }
    }

    private bool IsForgotten(Guid transactionId)
    {
        lock (_forgetGate)
        {
            return _forgotten.Contains(transactionId);
        }
    }

    /// <summary>Deletes what no decision write has taken along within <see cref="ForgetFlushDelay"/> (at once when disposing).</summary>
    private async Task FlushForgottenLaterAsync()
    {
        try
        {
            await Task.Delay(ForgetFlushDelay, _disposing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Disposing (or disposed): delete now.
        }

        lock (_forgetGate)
        {
            _flushScheduled = false;
        }

        while (TakeForgottenDelete() is { } delete)
        {
            try
            {
                await EnsureCreatedAsync(CancellationToken.None).ConfigureAwait(false);
                await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
                await using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
                batch.BatchCommands.Add(delete);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Housekeeping only: the rows stay, and a recovery pass forgets them again. Never let it fault disposal.
                return;
            }
        }
    }
}

/// <summary>A PostgreSQL server and database, to tell whether a decision log and a resource share a database.</summary>
internal readonly record struct DatabaseLocation(string Host, int Port, string Database)
{
    public static DatabaseLocation Of(NpgsqlConnectionStringBuilder settings) => new(
        (settings.Host ?? string.Empty).ToLowerInvariant(),
        settings.Port,
        settings.Database ?? settings.Username ?? string.Empty);

    /// <summary>As messages name it: <c>host:port/database</c>.</summary>
    public override string ToString() => $"{Host}:{Port}/{Database}";
}
