namespace DataPatterns.Cqrs;

/// <summary>
/// An ordered, durable source of committed events (an outbox table, a log). Implementations must never hand out an event
/// while an event before it in the order may still be committed later, so a reader that moves its checkpoint past what it
/// was given never skips anything.
/// </summary>
public interface IEventSource
{
    /// <summary>Reads up to <paramref name="maxCount"/> committed events after <paramref name="after"/>, in order.</summary>
    /// <param name="after">The reader's checkpoint (exclusive).</param>
    /// <param name="maxCount">The most events to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The events, and whether more committed events are waiting for older transactions to finish.</returns>
    ValueTask<EventBatch> ReadAsync(EventPosition after, int maxCount, CancellationToken cancellationToken);

    /// <summary>Measures how far <paramref name="checkpoint"/> is behind the source.</summary>
    /// <param name="checkpoint">The reader's checkpoint.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>Events behind and the age of the oldest of them.</returns>
    ValueTask<EventLag> GetLagAsync(EventPosition checkpoint, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until new events may be there (a notification from a writer) or <paramref name="maxWait"/> passed,
    /// whichever comes first. Returns at once if a notification arrived since the last call.
    /// </summary>
    /// <param name="maxWait">The longest wait (a safety net for lost notifications).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the reader should read again.</returns>
    ValueTask WaitForEventsAsync(TimeSpan maxWait, CancellationToken cancellationToken);
}
