using System.Text.Json;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>
/// A decision log in a MariaDB (InnoDB) table: one row per open commit decision, durable when the insert's commit returns
/// (with <c>innodb_flush_log_at_trx_commit=1</c>, the default), and abort rows that fence a late last-resource commit out.
/// Several coordinator nodes may share one table. When the table is in the database of one of the transaction's MariaDB
/// resources, that resource can commit with the decision inside its own XA transaction
/// (<see cref="TwoPhaseCommitOptions.LastResourceCommit"/>). A row it cannot read stops recovery with a
/// <see cref="DecisionLogDamagedException"/> instead of being skipped.
/// </summary>
public sealed class MySqlDecisionLog : IFencingDecisionLog, IAsyncDisposable
{
    private const int FenceLockWaitSeconds = 10;
    private readonly MySqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _table;
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private volatile bool _created;
    private int _disposed;

    /// <summary>Uses <paramref name="dataSource"/> and the table <paramref name="tableName"/> (created when missing).</summary>
    /// <exception cref="ArgumentException">The table name is not 1 to 64 of a-z 0-9 _ starting with a letter or _.</exception>
    public MySqlDecisionLog(MySqlDataSource dataSource, string tableName = "datapatterns_2pc_decisions")
        : this(dataSource, tableName, ownsDataSource: false)
    {
    }

    private MySqlDecisionLog(MySqlDataSource dataSource, string tableName, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        if (tableName.Length > 64 || !tableName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') || char.IsAsciiDigit(tableName[0]))
        {
            throw new ArgumentException($"The decision-log table name '{tableName}' (the tableName of UseMySqlDecisionLog / MySqlDecisionLog) is invalid: use up to 64 of a-z 0-9 _, starting with a letter or _. The table is created in the connection string's Database.", nameof(tableName));
        }

        var settings = new MySqlConnectionStringBuilder(dataSource.ConnectionString);
        if (string.IsNullOrEmpty(settings.Database))
        {
            throw new ArgumentException("The decision log's connection string names no Database; add 'Database=name' so the table has a home.", nameof(dataSource));
        }

        _dataSource = dataSource;
        _table = $"`{settings.Database.Replace("`", "``", StringComparison.Ordinal)}`.`{tableName}`"; // checked above, quoted so keywords still name a table
        _ownsDataSource = ownsDataSource;
        Location = MariaDbLocation.Of(settings);
    }

    /// <summary>The server and database the table is in.</summary>
    internal MariaDbLocation Location { get; }

    /// <summary>Creates a log with a data source of its own from <paramref name="connectionString"/>.</summary>
    public static MySqlDecisionLog Create(string connectionString, string tableName = "datapatterns_2pc_decisions")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString) { AutoEnlist = false };
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The decision log's MariaDB connection string cannot be read ({ex.Message}). Write it as 'Server=host;Port=3306;User ID=user;Password=...;Database=name'.", nameof(connectionString), ex);
        }

        return new MySqlDecisionLog(new MySqlDataSource(builder.ConnectionString), tableName, ownsDataSource: true);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Recovery already recorded the transaction as aborted.</exception>
    public async ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = CreateRecordCommand(connection, decision, replayable: true))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var check = new MySqlCommand($"SELECT aborted FROM {_table} WHERE transaction_id = @id", connection);
        check.Parameters.AddWithValue("@id", decision.TransactionId.ToByteArray(bigEndian: true));
        if (await ReadAbortedAsync(check, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Transaction {decision.TransactionId:N} was already recorded as aborted (by recovery, which presumed it dead); it cannot commit now.");
        }
    }

    private static async ValueTask<bool> ReadAbortedAsync(MySqlCommand check, CancellationToken cancellationToken) =>
        Convert.ToBoolean(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The insert of a commit decision on <paramref name="connection"/>. <paramref name="replayable"/>: a repeated insert
    /// changes nothing (the caller then checks for an abort row); otherwise any existing row, an abort's fence above all,
    /// makes it fail.
    /// </summary>
    internal MySqlCommand CreateRecordCommand(MySqlConnection connection, CommitDecision decision, bool replayable)
    {
        var command = new MySqlCommand(
            (replayable ? "INSERT IGNORE" : "INSERT") + $" INTO {_table} (transaction_id, decided_at, branches, aborted) VALUES (@id, @at, @branches, 0)",
            connection);
        command.Parameters.AddWithValue("@id", decision.TransactionId.ToByteArray(bigEndian: true));
        command.Parameters.AddWithValue("@at", decision.DecidedAt.UtcDateTime);
        command.Parameters.AddWithValue("@branches", JsonSerializer.Serialize(decision.Branches.Select(b => new[] { b.ResourceName, b.GlobalId })));
        return command;
    }

    /// <inheritdoc />
    public async ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new MySqlCommand($"DELETE FROM {_table} WHERE transaction_id = @id AND aborted = 0", connection);
        command.Parameters.AddWithValue("@id", transactionId.ToByteArray(bigEndian: true));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="DecisionLogDamagedException">A row cannot be read; recovery stops rather than skip a commit.</exception>
    public async ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new MySqlCommand($"SELECT transaction_id, decided_at, branches FROM {_table} WHERE aborted = 0", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var decisions = new List<CommitDecision>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            decisions.Add(DecisionRow.Read(reader, this));
        }

        return decisions;
    }

    /// <summary>The exception for a row that does not make sense.</summary>
    internal DecisionLogDamagedException Unreadable(Guid? transactionId, string problem, Exception? inner) => new(
        $"{Location} {_table}",
        -1,
        0,
        transactionId,
        $"The decision log table {_table} on {Location} has a row that does not make sense: transaction {transactionId?.ToString("N") ?? "(unreadable id)"}, {problem}. Recovery stops rather than skip it (a skipped commit decision would have its branches rolled back). Fix or delete the row by hand after checking that transaction's prepared branches (XA RECOVER, pg_prepared_xacts) on every resource; only this coordinator's library writes this table.",
        inner);

    /// <inheritdoc />
    /// <remarks>
    /// The abort row's insert waits on the primary key for a commit decision another session is still writing (inside a
    /// last-resource XA branch, say), bounded by <c>innodb_lock_wait_timeout</c> set to 10 s; then it either finds the
    /// commit (false) or holds the key itself, after which that decision's insert can only fail.
    /// </remarks>
    public async ValueTask<bool> TryRecordAbortAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new MySqlCommand(
            $"SET SESSION innodb_lock_wait_timeout = {FenceLockWaitSeconds}; " +
            $"INSERT INTO {_table} (transaction_id, decided_at, branches, aborted) VALUES (@id, UTC_TIMESTAMP(6), '[]', 1) ON DUPLICATE KEY UPDATE aborted = aborted; " +
            $"SELECT aborted FROM {_table} WHERE transaction_id = @id",
            connection);
        command.Parameters.AddWithValue("@id", transactionId.ToByteArray(bigEndian: true));
        return Convert.ToBoolean(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async ValueTask PurgeAbortsAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Aged on the server's clock, which also stamped the rows: a skewed application clock cannot purge a fresh fence.
        await using var command = new MySqlCommand($"DELETE FROM {_table} WHERE aborted = 1 AND decided_at < UTC_TIMESTAMP(6) - INTERVAL @seconds SECOND", connection);
        command.Parameters.AddWithValue("@seconds", (long)Math.Ceiling(olderThan.TotalSeconds));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _createGate.Dispose();
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Creates the table on first use.</summary>
    internal async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return;
        }

        await _createGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_created)
            {
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new MySqlCommand(
                    $"CREATE TABLE IF NOT EXISTS {_table} (transaction_id BINARY(16) NOT NULL PRIMARY KEY, decided_at DATETIME(6) NOT NULL, branches LONGTEXT NOT NULL, aborted TINYINT(1) NOT NULL DEFAULT 0) ENGINE=InnoDB",
                    connection);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                _created = true;
            }
        }
        finally
        {
            _createGate.Release();
        }
    }
}
