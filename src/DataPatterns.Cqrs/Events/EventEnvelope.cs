namespace DataPatterns.Cqrs;

/// <summary>One committed event as the event source hands it to projections.</summary>
/// <param name="Position">Its place in the source's order (also the idempotency key of read models).</param>
/// <param name="EventType">The event type name the writer gave it.</param>
/// <param name="StreamId">The aggregate (stream) it belongs to.</param>
/// <param name="Payload">The event body, as written (usually JSON).</param>
/// <param name="CreatedAt">When it was written.</param>
public sealed record EventEnvelope(EventPosition Position, string EventType, string StreamId, string Payload, DateTimeOffset CreatedAt);
