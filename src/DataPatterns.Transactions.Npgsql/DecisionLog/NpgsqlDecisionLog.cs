using Npgsql;
using NpgsqlTypes;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A decision log in a PostgreSQL table (one row per open commit decision; synchronous_commit makes the insert durable).
/// Several coordinator nodes may share one table: recovery only reads the rows of its own branches.
/// </summary>
public sealed class NpgsqlDecisionLog : IDecisionLog, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _table;
    private readonly SemaphoreSlim _createGate = new(1, 1);
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
            throw new ArgumentException($"The decision-log table name '{tableName}' is invalid: use up to 63 of a-z 0-9 _, starting with a letter or _.", nameof(tableName));
        }

        _dataSource = dataSource;
        _table = tableName;
        _ownsDataSource = ownsDataSource;
    }

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
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {_table} (transaction_id, decided_at, resources, global_ids) VALUES ($1, $2, $3, $4) ON CONFLICT (transaction_id) DO NOTHING",
            connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = decision.TransactionId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = decision.DecidedAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = decision.Branches.Select(b => b.ResourceName).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = decision.Branches.Select(b => b.GlobalId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"DELETE FROM {_table} WHERE transaction_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = transactionId });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT transaction_id, decided_at, resources, global_ids FROM {_table}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var decisions = new List<CommitDecision>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var resources = reader.GetFieldValue<string[]>(2);
            var globalIds = reader.GetFieldValue<string[]>(3);
            decisions.Add(new CommitDecision(
                reader.GetGuid(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                resources.Zip(globalIds, (r, g) => new CommitBranch(r, g)).ToArray()));
        }

        return decisions;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _createGate.Dispose();
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask EnsureCreatedAsync(CancellationToken cancellationToken)
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
            await using var command = new NpgsqlCommand(
                $"CREATE TABLE IF NOT EXISTS {_table} (transaction_id uuid PRIMARY KEY, decided_at timestamptz NOT NULL, resources text[] NOT NULL, global_ids text[] NOT NULL)",
                connection);
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
            {
                // Another process created it at the same moment.
            }

            _created = true;
        }
        finally
        {
            _createGate.Release();
        }
    }
}
