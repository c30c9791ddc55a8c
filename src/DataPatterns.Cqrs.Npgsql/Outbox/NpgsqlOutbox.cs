using Npgsql;
using NpgsqlTypes;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// The transactional outbox: a command handler appends its events with the caller's connection and transaction, so the
/// events commit or roll back together with the write-model change. Each row records its transaction id
/// (<c>pg_current_xact_id()</c>), which the event source uses to never hand out an event while an earlier one may
/// still commit. Writers notify the runner on commit through LISTEN/NOTIFY.
/// </summary>
/// <remarks>
/// PostgreSQL refuses <c>PREPARE TRANSACTION</c> in a transaction that ran <c>NOTIFY</c>. When the outbox transaction is a
/// two-phase-commit branch, append with <see cref="OutboxNotification.AfterCommit"/> and call
/// <see cref="NotifyReadersAsync"/> once the distributed transaction has committed.
/// </remarks>
public sealed class NpgsqlOutbox : ITransactionalOutbox
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly CqrsSchema _schema;
    private readonly string _insertOne;
    private readonly string _insertMany;
    private readonly string _notify;

    /// <summary>Creates the outbox.</summary>
    /// <param name="dataSource">The write model's database (used only to create the outbox table on first use).</param>
    /// <param name="options">Schema and channel names.</param>
    public NpgsqlOutbox(NpgsqlDataSource dataSource, NpgsqlCqrsOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        SqlNames.RequireNames(options);
        var s = SqlNames.Quote(options.Schema);
        _dataSource = dataSource;
        _schema = new CqrsSchema(dataSource, options.Schema, readModelTables: false);
        _insertOne = $"INSERT INTO {s}.events (stream_id, event_type, payload) VALUES ($1, $2, $3)";
        _insertMany = $"INSERT INTO {s}.events (stream_id, event_type, payload) SELECT e.s, e.t, e.p FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS e(s, t, p, n) ORDER BY e.n";
        _notify = $"NOTIFY {SqlNames.Quote(options.NotificationChannel)}";
    }

    /// <summary>Creates the outbox table if it does not exist (also done on first append).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the table exists.</returns>
    public ValueTask EnsureCreatedAsync(CancellationToken cancellationToken = default) => _schema.EnsureAsync(cancellationToken);

    /// <summary>Appends one event in <paramref name="transaction"/>.</summary>
    /// <param name="transaction">The caller's open transaction (its connection is used).</param>
    /// <param name="outboxEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>A task that completes when the row is written (visible to readers once the transaction commits).</returns>
    public ValueTask AppendAsync(NpgsqlTransaction transaction, OutboxEvent outboxEvent, CancellationToken cancellationToken = default) =>
        AppendAsync(transaction, outboxEvent, OutboxNotification.InTransaction, cancellationToken);

    /// <summary>Appends one event in <paramref name="transaction"/>, waking readers as <paramref name="notification"/> says.</summary>
    /// <param name="transaction">The caller's open transaction (its connection is used).</param>
    /// <param name="outboxEvent">The event.</param>
    /// <param name="notification">
    /// <see cref="OutboxNotification.AfterCommit"/> when <paramref name="transaction"/> will be prepared (a two-phase-commit
    /// branch): then call <see cref="NotifyReadersAsync"/> after the commit.
    /// </param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>A task that completes when the row is written (visible to readers once the transaction commits).</returns>
    public async ValueTask AppendAsync(NpgsqlTransaction transaction, OutboxEvent outboxEvent, OutboxNotification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has completed; append events before committing it.");
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var insert = new NpgsqlBatchCommand(_insertOne);
        insert.Parameters.Add(new NpgsqlParameter { Value = outboxEvent.StreamId, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = outboxEvent.EventType, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = outboxEvent.Payload, NpgsqlDbType = NpgsqlDbType.Text });
        batch.BatchCommands.Add(insert);
        AddNotification(batch, notification);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends several events, in order, in <paramref name="transaction"/> (one round trip).</summary>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>A task that completes when the rows are written.</returns>
    public ValueTask AppendAsync(NpgsqlTransaction transaction, IReadOnlyList<OutboxEvent> events, CancellationToken cancellationToken = default) =>
        AppendAsync(transaction, events, OutboxNotification.InTransaction, cancellationToken);

    /// <summary>Appends several events, in order, in <paramref name="transaction"/>, waking readers as <paramref name="notification"/> says.</summary>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="events">The events.</param>
    /// <param name="notification">
    /// <see cref="OutboxNotification.AfterCommit"/> when <paramref name="transaction"/> will be prepared (a two-phase-commit
    /// branch): then call <see cref="NotifyReadersAsync"/> after the commit.
    /// </param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>A task that completes when the rows are written.</returns>
    public async ValueTask AppendAsync(NpgsqlTransaction transaction, IReadOnlyList<OutboxEvent> events, OutboxNotification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has completed; append events before committing it.");
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = CreateManyBatch(connection, transaction, events, notification);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="AppendAsync(NpgsqlTransaction, IReadOnlyList{OutboxEvent}, OutboxNotification, CancellationToken)"/>,
    /// synchronously, for code that saves synchronously (EF Core's <c>SaveChanges()</c>) and must not block on async I/O.
    /// </summary>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="events">The events.</param>
    /// <param name="notification">When readers are woken (see the asynchronous overload).</param>
    public void Append(NpgsqlTransaction transaction, IReadOnlyList<OutboxEvent> events, OutboxNotification notification = OutboxNotification.InTransaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var connection = transaction.Connection ?? throw new InvalidOperationException("The transaction has completed; append events before committing it.");
        _schema.Ensure();
        using var batch = CreateManyBatch(connection, transaction, events, notification);
        batch.ExecuteNonQuery();
    }

    /// <summary>
    /// Wakes the projection runners now, outside any transaction: after committing events appended with
    /// <see cref="OutboxNotification.AfterCommit"/>. Runners that miss it still poll, so this only shortens the lag.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the notification was sent.</returns>
    public async ValueTask NotifyReadersAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(_notify);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    ValueTask ITransactionalOutbox.AppendAsync(System.Data.Common.DbTransaction transaction, IReadOnlyList<OutboxMessage> messages, bool notifyInTransaction, CancellationToken cancellationToken) =>
        AppendAsync(AsNpgsql(transaction), ToEvents(messages), ToNotification(notifyInTransaction), cancellationToken);

    /// <inheritdoc />
    void ITransactionalOutbox.Append(System.Data.Common.DbTransaction transaction, IReadOnlyList<OutboxMessage> messages, bool notifyInTransaction) =>
        Append(AsNpgsql(transaction), ToEvents(messages), ToNotification(notifyInTransaction));

    /// <inheritdoc />
    ValueTask ITransactionalOutbox.NotifyReadersAsync(CancellationToken cancellationToken) => NotifyReadersAsync(cancellationToken);

    private static NpgsqlTransaction AsNpgsql(System.Data.Common.DbTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return transaction as NpgsqlTransaction
            ?? throw new ArgumentException($"The PostgreSQL outbox appends through an NpgsqlTransaction, not a {transaction.GetType().Name}; give it a transaction of an Npgsql connection (an EF Core context using UseNpgsql).", nameof(transaction));
    }

    private static OutboxNotification ToNotification(bool notifyInTransaction) =>
        notifyInTransaction ? OutboxNotification.InTransaction : OutboxNotification.AfterCommit;

    private static OutboxEvent[] ToEvents(IReadOnlyList<OutboxMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var events = new OutboxEvent[messages.Count];
        for (var i = 0; i < events.Length; i++)
        {
            var message = messages[i];
            if (string.IsNullOrEmpty(message.StreamId) || string.IsNullOrEmpty(message.EventType))
            {
                throw new ArgumentException($"Outbox event {i} has an empty {(string.IsNullOrEmpty(message.StreamId) ? "stream id" : "event type")}; give every event the aggregate it belongs to and a type name projections can select it by.", nameof(messages));
            }

            events[i] = new OutboxEvent(message.StreamId, message.EventType, message.Payload ?? string.Empty);
        }

        return events;
    }

    private NpgsqlBatch CreateManyBatch(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<OutboxEvent> events, OutboxNotification notification)
    {
        var streams = new string[events.Count];
        var types = new string[events.Count];
        var payloads = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            (streams[i], types[i], payloads[i]) = (events[i].StreamId, events[i].EventType, events[i].Payload);
        }

        var batch = new NpgsqlBatch(connection, transaction);
        var insert = new NpgsqlBatchCommand(_insertMany);
        insert.Parameters.Add(new NpgsqlParameter { Value = streams });
        insert.Parameters.Add(new NpgsqlParameter { Value = types });
        insert.Parameters.Add(new NpgsqlParameter { Value = payloads });
        batch.BatchCommands.Add(insert);
        AddNotification(batch, notification);
        return batch;
    }

    private void AddNotification(NpgsqlBatch batch, OutboxNotification notification)
    {
        switch (notification)
        {
            case OutboxNotification.InTransaction:
                batch.BatchCommands.Add(new NpgsqlBatchCommand(_notify));
                break;
            case OutboxNotification.AfterCommit:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(notification), notification, "Use OutboxNotification.InTransaction or OutboxNotification.AfterCommit.");
        }
    }
}
