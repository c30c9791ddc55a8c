namespace DataPatterns.Cqrs;

/// <summary>
/// Where read models, their checkpoints, their leases and their dead letters live. A provider implements it so that
/// a batch's read-model changes, its checkpoint and the fencing check commit in one transaction.
/// </summary>
public interface IProjectionStore
{
    /// <summary>Says whether this store can run <paramref name="projection"/>; if not, why and what to do.</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="reason">Why not, when it cannot.</param>
    /// <returns>True when it can.</returns>
    bool CanRun(IProjection projection, out string reason);

    /// <summary>
    /// Makes sure the projection's live generation exists (creating generation 1 on first use) and that a requested
    /// rebuild generation is initialized; returns both with their checkpoints. Called by the lease holder only.
    /// </summary>
    /// <param name="projection">The projection.</param>
    /// <param name="fencingToken">The caller's lease token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The live generation and the one being rebuilt, if any.</returns>
    /// <exception cref="LeadershipLostException">The caller's token is no longer the current one.</exception>
    ValueTask<ProjectionGenerations> OpenAsync(IProjection projection, long fencingToken, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a batch and moves the checkpoint from <see cref="ProjectionBatch.From"/> to <see cref="ProjectionBatch.To"/>
    /// in one transaction, after checking the fencing token; also records the batch's dead letters in it.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the batch (the transaction rolls back).</param>
    /// <returns>A task that completes when the transaction has committed.</returns>
    /// <exception cref="LeadershipLostException">Another instance holds the lease, or the checkpoint is not where the caller thinks.</exception>
    ValueTask CommitBatchAsync(ProjectionBatch batch, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="generation"/> the live one (blue/green switch), atomically for readers.</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="generation">The caught-up rebuild generation.</param>
    /// <param name="fencingToken">The caller's lease token.</param>
    /// <param name="cancellationToken">Cancels the switch.</param>
    /// <returns>A task that completes when readers see the new generation.</returns>
    ValueTask SwitchToAsync(IProjection projection, int generation, long fencingToken, CancellationToken cancellationToken);

    /// <summary>Asks for a rebuild: a new empty generation that the lease holder fills from the start while the live one keeps running.</summary>
    /// <param name="projectionName">The projection's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The number of the generation that will be built (the one already being built, if a rebuild is running).</returns>
    ValueTask<int> RequestRebuildAsync(string projectionName, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="exception"/> is the store being unreachable or busy (retry without counting it against the event).</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>True for transient failures.</returns>
    bool IsTransient(Exception exception);
}
