using DataPatterns.Cqrs;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>
/// An entity that raises events for the transactional outbox. On <c>SaveChanges</c> the outbox interceptor
/// (<see cref="Microsoft.EntityFrameworkCore.OutboxDbContextOptionsBuilderExtensions.UseTransactionalOutbox"/>) writes them as outbox rows in the same
/// transaction as the entity changes, and removes them from the entity only once that transaction has committed.
/// </summary>
/// <remarks>
/// Keep the events in the order they were raised, and only append to them: the interceptor remembers how many of the
/// leading events it wrote into a transaction that has not committed yet, so a second <c>SaveChanges</c> in that
/// transaction writes only the newer ones.
/// </remarks>
public interface IHasOutboxEvents
{
    /// <summary>The events raised and not yet committed to the outbox, oldest first.</summary>
    IReadOnlyList<OutboxMessage> OutboxEvents { get; }

    /// <summary>Removes the <paramref name="count"/> oldest events: they are committed to the outbox. Events raised since stay.</summary>
    /// <param name="count">How many of the leading events to remove.</param>
    void RemoveOutboxEvents(int count);
}
