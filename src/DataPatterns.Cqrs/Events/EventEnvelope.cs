namespace DataPatterns.Cqrs;

/// <summary>One committed event as the event source hands it to projections.</summary>
/// <param name="Position">Its place in the source's order (also the idempotency key of read models).</param>
/// <param name="EventType">The event type name the writer gave it.</param>
/// <param name="StreamId">The aggregate (stream) it belongs to.</param>
/// <param name="Payload">The event body, as written (usually JSON).</param>
/// <param name="CreatedAt">When it was written.</param>
public sealed record EventEnvelope(EventPosition Position, string EventType, string StreamId, string Payload, DateTimeOffset CreatedAt);

/// <summary>What one read from an event source returned.</summary>
/// <param name="Events">Committed events after the asked position, in order; never one whose predecessors may still be in flight.</param>
/// <param name="HasPending">
/// True when committed events exist that could not be handed out yet because an older transaction is still running;
/// the reader should read again soon rather than wait for a notification.
/// </param>
public readonly record struct EventBatch(IReadOnlyList<EventEnvelope> Events, bool HasPending);

/// <summary>How far a reader is behind its event source.</summary>
/// <param name="EventsBehind">Committed events after the checkpoint.</param>
/// <param name="OldestUnprocessedAt">When the oldest of them was written; null when nothing is behind.</param>
public readonly record struct EventLag(long EventsBehind, DateTimeOffset? OldestUnprocessedAt);
