namespace DataPatterns.Cqrs.Npgsql;

/// <summary>An event to append to the outbox.</summary>
/// <param name="StreamId">The aggregate (stream) it belongs to.</param>
/// <param name="EventType">Its type name; projections select events by it.</param>
/// <param name="Payload">The body, usually JSON.</param>
public readonly record struct OutboxEvent(string StreamId, string EventType, string Payload);
