using Npgsql;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// The participant side of stateless two-phase commit on PostgreSQL: a marker table keyed by global id, in the
/// participant's own database. A branch inserts its marker and prepares in one round trip, so its marker commits exactly
/// when the branch does; a recovery that finds neither a prepared branch nor a marker inserts an "aborted" marker (a
/// fence) under the same key, which makes that branch's own insert fail. The unique key is the whole arbiter: only one
/// of the two can ever commit. See <see cref="StatelessRecoveryDecision"/> for the rule built on it.
/// </summary>
internal static class PostgresBranchMarkers
{
    public const string Table = "datapatterns_2pc_markers";

    private const string UniqueViolation = "23505";
    private const string LockNotAvailable = "55P03";
    private const string DuplicateTable = "42P07";

    public static async ValueTask EnsureCreatedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand($"""
            CREATE TABLE IF NOT EXISTS {Table} (
                gid text PRIMARY KEY,
                fenced boolean NOT NULL,
                written_at timestamptz NOT NULL DEFAULT clock_timestamp())
            """);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is UniqueViolation or DuplicateTable)
        {
            // Another instance created it at the same moment (IF NOT EXISTS does not cover a concurrent create).
        }
    }

    /// <summary>
    /// Inserts the branch's marker and prepares the branch, in one round trip on the branch's own connection and open
    /// transaction. A fence already holding the key makes the insert, and so the whole branch, fail.
    /// </summary>
    /// <exception cref="BranchFencedException">A recovery fenced this participant: the transaction aborted; roll the branch back.</exception>
    public static async ValueTask PrepareWithMarkerAsync(NpgsqlConnection connection, string globalId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var quoted = PostgresGlobalIds.Quote(globalId);
        await using var batch = new NpgsqlBatch(connection);
        var insert = new NpgsqlBatchCommand($"INSERT INTO {Table} (gid, fenced) VALUES ($1, false)");
        insert.Parameters.Add(new NpgsqlParameter { Value = globalId });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"PREPARE TRANSACTION {quoted}"));
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
        {
            throw new BranchFencedException(globalId, ex);
        }
    }

    /// <summary>What a recovery sees of the branch of <paramref name="globalId"/> in this participant's database.</summary>
    /// <remarks>
    /// The prepared-transaction list and the marker are read in one statement but not at one instant, so a branch that
    /// commits in between can look absent. That is safe: "absent" only leads to a fence, and the fence finds the key
    /// taken and looks again.
    /// </remarks>
    public static async ValueTask<BranchObservation> ObserveAsync(NpgsqlDataSource dataSource, string globalId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand($"""
            SELECT EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE gid = $1 AND database = current_database()),
                   (SELECT fenced FROM {Table} WHERE gid = $1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = globalId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (reader.GetBoolean(0))
        {
            return BranchObservation.Prepared;
        }

        if (reader.IsDBNull(1))
        {
            return BranchObservation.Absent;
        }

        return reader.GetBoolean(1) ? BranchObservation.Fenced : BranchObservation.Committed;
    }

    /// <summary>
    /// Tries to fence the branch of <paramref name="globalId"/>: commits an "aborted" marker unless a marker is committed
    /// already (<see cref="FenceOutcome.Taken"/>) or a running or prepared branch holds the key for longer than
    /// <paramref name="lockTimeout"/> (<see cref="FenceOutcome.Blocked"/>). The fence is a decision, so it is flushed
    /// whatever the session's <c>synchronous_commit</c> says.
    /// </summary>
    public static async ValueTask<FenceOutcome> FenceAsync(NpgsqlDataSource dataSource, string globalId, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lockTimeout, TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = on"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {(long)Math.Ceiling(lockTimeout.TotalMilliseconds)}"));
        var insert = new NpgsqlBatchCommand($"INSERT INTO {Table} (gid, fenced) VALUES ($1, true) ON CONFLICT (gid) DO NOTHING");
        insert.Parameters.Add(new NpgsqlParameter { Value = globalId });
        batch.BatchCommands.Add(insert);
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == LockNotAvailable)
        {
            return FenceOutcome.Blocked;
        }

        if (insert.RecordsAffected == 0)
        {
            return FenceOutcome.Taken;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return FenceOutcome.Landed;
    }

    /// <summary>Up to <paramref name="limit"/> ids of <paramref name="globalIdPrefix"/> whose marker (or fence) is older than <paramref name="olderThan"/>.</summary>
    public static async ValueTask<IReadOnlyList<string>> ListAsync(NpgsqlDataSource dataSource, string globalIdPrefix, bool fenced, TimeSpan olderThan, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(globalIdPrefix);
        await using var command = dataSource.CreateCommand($"SELECT gid FROM {Table} WHERE fenced = $1 AND written_at < clock_timestamp() - $2 AND starts_with(gid, $3) LIMIT $4");
        command.Parameters.Add(new NpgsqlParameter { Value = fenced });
        command.Parameters.Add(new NpgsqlParameter { Value = olderThan });
        command.Parameters.Add(new NpgsqlParameter { Value = globalIdPrefix });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public static async ValueTask<int> DeleteAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<string> globalIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(globalIds);
        if (globalIds.Count == 0)
        {
            return 0;
        }

        await using var command = dataSource.CreateCommand($"DELETE FROM {Table} WHERE gid = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = globalIds.ToArray() });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
