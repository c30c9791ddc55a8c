namespace DataPatterns.Cqrs;

/// <summary>What one read from an event source returned.</summary>
/// <param name="Events">Committed events after the asked position, in order; never one whose predecessors may still be in flight.</param>
/// <param name="HasPending">
/// True when committed events exist that could not be handed out yet because an older transaction is still running;
/// the reader should read again soon rather than wait for a notification.
/// </param>
public readonly record struct EventBatch(IReadOnlyList<EventEnvelope> Events, bool HasPending);
