using System.Text;
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
public sealed class NpgsqlProjectionContext
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

    /// <summary>The rows queued for one table, merged per key.</summary>
    private sealed class UpsertGroup(string qualifiedTable, int keyColumnCount, string[] columns, bool add)
    {
        private const int MaxParameters = 30_000;
        private readonly Dictionary<RowKey, object?[]> _rows = [];

        public void Add(object?[] values)
        {
            var key = new RowKey(values[..keyColumnCount]);
            if (_rows.TryGetValue(key, out var existing))
            {
                for (var i = keyColumnCount; i < columns.Length; i++)
                {
                    existing[i] = add ? Sum(existing[i], values[i], columns[i]) : values[i];
                }
            }
            else
            {
                _rows.Add(key, (object?[])values.Clone());
            }
        }

        public void Emit(List<NpgsqlBatchCommand> queue)
        {
            var rows = _rows.Values.ToList();
            if (rows.Count > 1 && TryColumnArrays(rows) is { } arrays)
            {
                // One statement with one array per column: constant SQL text (prepared once per connection), any row count.
                var command = new NpgsqlBatchCommand(UnnestSql());
                foreach (var array in arrays)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = array });
                }

                queue.Add(command);
                return;
            }

            var rowsPerStatement = Math.Max(1, MaxParameters / columns.Length);
            for (var start = 0; start < rows.Count; start += rowsPerStatement)
            {
                var chunk = rows.GetRange(start, Math.Min(rowsPerStatement, rows.Count - start));
                var command = new NpgsqlBatchCommand(Sql(chunk.Count));
                foreach (var row in chunk)
                {
                    foreach (var value in row)
                    {
                        command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
                    }
                }

                queue.Add(command);
            }
        }

        /// <summary>Typed arrays, one per column, when every value of each column has one supported type and none is null.</summary>
        private Array[]? TryColumnArrays(List<object?[]> rows)
        {
            var arrays = new Array[columns.Length];
            for (var column = 0; column < columns.Length; column++)
            {
                Array? array = rows[0][column] switch
                {
                    string => Column<string>(rows, column),
                    long => Column<long>(rows, column),
                    int => Column<int>(rows, column),
                    decimal => Column<decimal>(rows, column),
                    double => Column<double>(rows, column),
                    bool => Column<bool>(rows, column),
                    Guid => Column<Guid>(rows, column),
                    DateTimeOffset => Column<DateTimeOffset>(rows, column),
                    _ => null,
                };
                if (array is null)
                {
                    return null;
                }

                arrays[column] = array;
            }

            return arrays;
        }

        private static T[]? Column<T>(List<object?[]> rows, int column)
        {
            var values = new T[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                if (rows[i][column] is not T value)
                {
                    return null;
                }

                values[i] = value;
            }

            return values;
        }

        private string UnnestSql()
        {
            var sql = new StringBuilder("INSERT INTO ").Append(qualifiedTable).Append(" AS t (");
            AppendColumns(sql, columns.Length);
            sql.Append(") SELECT * FROM unnest(");
            for (var i = 0; i < columns.Length; i++)
            {
                sql.Append(i == 0 ? "$" : ", $").Append(i + 1);
            }

            sql.Append(')');
            return AppendConflict(sql).ToString();
        }

        private void AppendColumns(StringBuilder sql, int count)
        {
            for (var i = 0; i < count; i++)
            {
                sql.Append(i == 0 ? string.Empty : ", ").Append(SqlNames.Quote(columns[i]));
            }
        }

        private StringBuilder AppendConflict(StringBuilder sql)
        {
            sql.Append(" ON CONFLICT (");
            AppendColumns(sql, keyColumnCount);
            if (keyColumnCount == columns.Length)
            {
                return sql.Append(") DO NOTHING");
            }

            sql.Append(") DO UPDATE SET ");
            for (var i = keyColumnCount; i < columns.Length; i++)
            {
                var column = SqlNames.Quote(columns[i]);
                sql.Append(i == keyColumnCount ? string.Empty : ", ").Append(column).Append(" = ");
                if (add)
                {
                    sql.Append("t.").Append(column).Append(" + ");
                }

                sql.Append("EXCLUDED.").Append(column);
            }

            return sql;
        }

        private string Sql(int rowCount)
        {
            var sql = new StringBuilder("INSERT INTO ").Append(qualifiedTable).Append(" AS t (");
            AppendColumns(sql, columns.Length);
            sql.Append(") VALUES ");
            var parameter = 1;
            for (var row = 0; row < rowCount; row++)
            {
                sql.Append(row == 0 ? "(" : ", (");
                for (var i = 0; i < columns.Length; i++)
                {
                    sql.Append(i == 0 ? "$" : ", $").Append(parameter++);
                }

                sql.Append(')');
            }

            return AppendConflict(sql).ToString();
        }

        private static object Sum(object? left, object? right, string column) => (left, right) switch
        {
            (long a, long b) => a + b,
            (int a, int b) => a + b,
            (decimal a, decimal b) => a + b,
            (double a, double b) => a + b,
            (short a, short b) => a + b,
            (float a, float b) => a + b,
            _ => throw new ArgumentException($"UpsertAdd adds the non-key columns; column '{column}' got {left?.GetType().Name ?? "null"} and {right?.GetType().Name ?? "null"}. Use the same numeric type (long, int, decimal, double) for every row, or Upsert to replace values."),
        };
    }

    /// <summary>A row's key values, compared element by element.</summary>
    private readonly struct RowKey(object?[] values) : IEquatable<RowKey>
    {
        private readonly object?[] _values = values;

        public bool Equals(RowKey other) => _values.AsSpan().SequenceEqual(other._values);

        public override bool Equals(object? obj) => obj is RowKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = default(HashCode);
            foreach (var value in _values)
            {
                hash.Add(value);
            }

            return hash.ToHashCode();
        }
    }
}
