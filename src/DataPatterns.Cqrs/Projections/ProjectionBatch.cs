namespace DataPatterns.Cqrs;

/// <summary>One unit of work for <see cref="IProjectionStore.CommitBatchAsync"/>.</summary>
/// <param name="Projection">The projection.</param>
/// <param name="Generation">The generation to write.</param>
/// <param name="From">The checkpoint the caller read from (must match the stored one).</param>
/// <param name="To">The checkpoint to store.</param>
/// <param name="Events">The handled events to apply (possibly none, to skip unhandled ones).</param>
/// <param name="DeadLetters">Events to park in the dead-letter store in the same transaction.</param>
/// <param name="FencingToken">The caller's lease token.</param>
public sealed record ProjectionBatch(
    IProjection Projection,
    int Generation,
    EventPosition From,
    EventPosition To,
    IReadOnlyList<EventEnvelope> Events,
    IReadOnlyList<DeadLetter> DeadLetters,
    long FencingToken);
