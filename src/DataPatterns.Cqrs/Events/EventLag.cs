namespace DataPatterns.Cqrs;

/// <summary>How far a reader is behind its event source.</summary>
/// <param name="EventsBehind">Committed events after the checkpoint.</param>
/// <param name="OldestUnprocessedAt">When the oldest of them was written; null when nothing is behind.</param>
public readonly record struct EventLag(long EventsBehind, DateTimeOffset? OldestUnprocessedAt);
