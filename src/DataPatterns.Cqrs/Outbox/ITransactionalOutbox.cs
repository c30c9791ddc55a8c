using System.Data.Common;

namespace DataPatterns.Cqrs;

/// <summary>
/// A transactional outbox reachable through ADO.NET: appends events inside the caller's <see cref="DbTransaction"/>, so
/// they commit or roll back with the caller's other writes. Provider-neutral integrations (an EF Core
/// <c>SaveChanges</c> interceptor) write through it without knowing the database client.
/// </summary>
public interface ITransactionalOutbox
{
    /// <summary>Appends <paramref name="messages"/>, in order, inside <paramref name="transaction"/>.</summary>
    /// <param name="transaction">The caller's open transaction (its connection is used).</param>
    /// <param name="messages">The events.</param>
    /// <param name="notifyInTransaction">
    /// True to wake readers when the transaction commits; false when the transaction will be prepared (two-phase commit)
    /// and the caller calls <see cref="NotifyReadersAsync"/> after the commit instead.
    /// </param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>A task that completes when the rows are written (visible to readers once the transaction commits).</returns>
    /// <exception cref="ArgumentException">
    /// The transaction belongs to another database client, or an event has an empty stream id or event type.
    /// </exception>
    ValueTask AppendAsync(DbTransaction transaction, IReadOnlyList<OutboxMessage> messages, bool notifyInTransaction, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="AppendAsync"/>, synchronously: for a caller on a synchronous path (EF Core's <c>SaveChanges()</c>),
    /// which must not block a thread on asynchronous I/O. Implementations use their client's synchronous API.
    /// </summary>
    /// <param name="transaction">The caller's open transaction (its connection is used).</param>
    /// <param name="messages">The events.</param>
    /// <param name="notifyInTransaction">As for <see cref="AppendAsync"/>.</param>
    /// <exception cref="ArgumentException">As for <see cref="AppendAsync"/>.</exception>
    void Append(DbTransaction transaction, IReadOnlyList<OutboxMessage> messages, bool notifyInTransaction);

    /// <summary>Wakes the readers now, outside any transaction (after committing events appended without notification).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the notification was sent.</returns>
    ValueTask NotifyReadersAsync(CancellationToken cancellationToken);
}
