namespace DataPatterns.Cqrs;

/// <summary>
/// A projection: a read model kept in step with the event source. It declares the event types it handles; the runner
/// hands it only those, in order, in batches.
/// </summary>
public interface IProjection
{
    /// <summary>
    /// The projection's unique name: lower-case letters, digits and underscores, starting with a letter, at most 40
    /// characters (providers use it to name tables and schemas).
    /// </summary>
    string Name { get; }

    /// <summary>The event types this projection handles; events of other types are skipped (and counted).</summary>
    IReadOnlyCollection<string> EventTypes { get; }
}

/// <summary>
/// A projection whose read model lives in a store that gives it a <typeparamref name="TContext"/> (for PostgreSQL, a
/// connection and transaction shared with the checkpoint write).
/// </summary>
/// <typeparam name="TContext">The store's context type.</typeparam>
public interface IProjection<in TContext> : IProjection
{
    /// <summary>
    /// Creates the read model's structures (tables) in a fresh, empty generation. Runs once per generation: when the
    /// projection first starts and when a rebuild starts.
    /// </summary>
    /// <param name="context">The store's context, pointing at the new generation.</param>
    /// <param name="cancellationToken">Cancels the set-up.</param>
    /// <returns>A task that completes when the structures exist.</returns>
    ValueTask InitializeAsync(TContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a batch of events, in order, to the read model. Runs inside the store's transaction together with the
    /// checkpoint write: either all of the batch and the checkpoint take effect, or none of it.
    /// Throwing makes the runner retry (and, after the configured attempts, isolate and dead-letter the failing event).
    /// </summary>
    /// <param name="events">The events, all of types in <see cref="IProjection.EventTypes"/>, in order.</param>
    /// <param name="context">The store's context for this batch.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>A task that completes when the batch has been applied (not yet committed).</returns>
    ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, TContext context, CancellationToken cancellationToken);
}
