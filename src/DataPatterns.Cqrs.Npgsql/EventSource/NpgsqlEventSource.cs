using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// Reads the outbox in (transaction id, sequence) order and hands out only rows whose transaction id is below the
/// oldest transaction still running in this database (<c>pg_current_snapshot()</c>, like <c>pg_snapshot_xmin</c> but
/// ignoring transactions of other databases): every transaction below that horizon has finished, so no row can still
/// appear before the last one handed out. A row committed while an older transaction is still in flight waits
/// (it is reported as pending) until that transaction commits or rolls back; no wall-clock timeout is involved.
/// Readers are woken by LISTEN/NOTIFY.
/// </summary>
public sealed class NpgsqlEventSource : IEventSource, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly CqrsSchema _schema;
    private readonly NotificationListener _listener;
    private readonly string _read;
    private readonly string _pending;
    private readonly string _lag;
    private readonly string _lagBeyond;

    /// <summary>Creates the event source.</summary>
    /// <param name="dataSource">The write model's database, where the outbox is.</param>
    /// <param name="options">Schema and channel names.</param>
    /// <param name="timeProvider">Time for the notification wait (default: the system's).</param>
    public NpgsqlEventSource(NpgsqlDataSource dataSource, NpgsqlCqrsOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        SqlNames.RequireNames(options);
        _dataSource = dataSource;
        _schema = new CqrsSchema(dataSource, options.Schema, readModelTables: false);
        _listener = new NotificationListener(dataSource, options.NotificationChannel, timeProvider ?? TimeProvider.System);
        var s = SqlNames.Quote(options.Schema);
        _read = $"""
            SELECT e.transaction_id, e.sequence, e.event_type, e.stream_id, e.payload, e.created_at
            FROM {s}.events e
            WHERE (e.transaction_id, e.sequence) > ($1, $2)
              AND e.transaction_id < ({HorizonSql})
            ORDER BY e.transaction_id, e.sequence
            LIMIT $3
            """;
        // Not EXISTS: the planner cannot know the horizon, guesses a third of the table qualifies and so scans the whole
        // outbox sequentially to find none. ORDER BY ... LIMIT 1 in a scalar subquery keeps it on the primary key.
        _pending = $"""
            SELECT (SELECT e.transaction_id FROM {s}.events e
                    WHERE e.transaction_id >= ({HorizonSql})
                    ORDER BY e.transaction_id
                    LIMIT 1) IS NOT NULL
            """;
        // Bounded: an ordered index range scan of at most LagCountLimit rows (ORDER BY + LIMIT keeps even a generic plan
        // on the primary key), never a scan of the whole outbox.
        _lag = $"""
            SELECT count(*), min(w.created_at), max(w.sequence)
            FROM (SELECT e.sequence, e.created_at FROM {s}.events e
                  WHERE (e.transaction_id, e.sequence) > ($1, $2)
                  ORDER BY e.transaction_id, e.sequence
                  LIMIT $3) w
            """;
        _lagBeyond = $"SELECT e.sequence FROM {s}.events e ORDER BY e.transaction_id DESC, e.sequence DESC LIMIT 1";
    }

    /// <summary>The read statement (tests check its plan).</summary>
    internal string ReadSql => _read;

    /// <summary>The statement that says whether committed events wait behind an older transaction (tests check its plan).</summary>
    internal string PendingSql => _pending;

    /// <summary>The lag statement (tests check its plan).</summary>
    internal string LagSql => _lag;

    /// <summary>
    /// The visibility horizon: the oldest transaction id that was still running when this statement's snapshot was taken
    /// (<c>pg_snapshot_xip(pg_current_snapshot())</c>), or the snapshot's xmax when none was. Transactions known to
    /// belong to another database (<c>pg_stat_activity</c>, <c>pg_prepared_xacts</c>) are left out: they cannot write
    /// this outbox, and a long transaction elsewhere on the server must not hold our events back. A transaction that
    /// ends between the snapshot and that look-up is not known as foreign and so still counts (conservative). Every
    /// transaction below the horizon has finished, so rows below it are final.
    /// </summary>
    internal const string HorizonSql = """
        WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
             other AS MATERIALIZED (
                SELECT a.backend_xid AS xid FROM pg_stat_activity a
                WHERE a.backend_xid IS NOT NULL
                  AND a.datid IS DISTINCT FROM (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
                UNION ALL
                SELECT p.transaction FROM pg_prepared_xacts p WHERE p.database <> current_database())
        SELECT coalesce(
            (SELECT min(r.x::text::bigint) FROM snap, pg_snapshot_xip(snap.s) AS r(x)
             WHERE NOT EXISTS (SELECT 1 FROM other o WHERE o.xid = r.x::xid)),
            (SELECT pg_snapshot_xmax(snap.s)::text::bigint FROM snap))
        """;

    /// <inheritdoc />
    public async ValueTask<EventBatch> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        var read = new NpgsqlBatchCommand(_read);
        read.Parameters.Add(new NpgsqlParameter { Value = after.Transaction });
        read.Parameters.Add(new NpgsqlParameter { Value = after.Sequence });
        read.Parameters.Add(new NpgsqlParameter { Value = maxCount });
        batch.BatchCommands.Add(read);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(_pending));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<EventEnvelope>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(new EventEnvelope(
                new EventPosition(reader.GetInt64(0), reader.GetInt64(1)),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var pending = reader.GetBoolean(0);
        return new EventBatch(events, pending);
    }

    /// <summary>
    /// How many events after a checkpoint <see cref="GetLagAsync"/> counts one by one; beyond that it estimates the rest
    /// from sequence numbers, so measuring lag stays cheap when a projection is far behind a large outbox.
    /// </summary>
    internal const int LagCountLimit = 100_000;

    /// <inheritdoc />
    /// <remarks>
    /// Exact up to <see cref="LagCountLimit"/> events; beyond that the count is the limit plus the distance in sequence
    /// numbers to the newest event (rolled-back transactions leave gaps, so it may overstate), and the age is that of
    /// the oldest of the first <see cref="LagCountLimit"/> events.
    /// </remarks>
    public async ValueTask<EventLag> GetLagAsync(EventPosition checkpoint, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand(_lag);
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Transaction });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Sequence });
        command.Parameters.Add(new NpgsqlParameter { Value = LagCountLimit });
        long count;
        DateTimeOffset? oldest;
        long lastCounted;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            count = reader.GetInt64(0);
            oldest = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
            lastCounted = reader.IsDBNull(2) ? 0 : reader.GetInt64(2);
        }

        if (count >= LagCountLimit)
        {
            await using var beyond = _dataSource.CreateCommand(_lagBeyond);
            if (await beyond.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long newest)
            {
                count += Math.Max(0, newest - lastCounted);
            }
        }

        return new EventLag(count, oldest);
    }

    /// <inheritdoc />
    public ValueTask WaitForEventsAsync(TimeSpan maxWait, CancellationToken cancellationToken) =>
        _listener.WaitAsync(maxWait, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
