namespace DataPatterns.Cqrs;

/// <summary>An event on its way into a transactional outbox, in a form every outbox provider accepts.</summary>
/// <param name="StreamId">The aggregate (stream) it belongs to; not empty.</param>
/// <param name="EventType">Its type name, which projections select events by; not empty.</param>
/// <param name="Payload">The body, usually JSON.</param>
public readonly record struct OutboxMessage(string StreamId, string EventType, string Payload);
