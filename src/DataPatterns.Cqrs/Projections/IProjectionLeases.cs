namespace DataPatterns.Cqrs;

/// <summary>
/// Leader election for projections: one lease per projection, with a fencing token that grows every time the lease
/// changes hands. The store checks the token in the same transaction as each checkpoint write, so a paused old leader
/// whose lease expired cannot write after a new one took over.
/// </summary>
public interface IProjectionLeases
{
    /// <summary>
    /// Takes or renews the lease of <paramref name="projectionName"/> for <paramref name="holder"/>. Returns the fencing
    /// token when the caller holds the lease (the same token on renewal, a larger one when it changed hands), or null
    /// when another holder's lease has not expired.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="holder">The caller's unique instance id.</param>
    /// <param name="duration">How long the lease lasts unless renewed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The fencing token, or null.</returns>
    ValueTask<long?> TryAcquireAsync(string projectionName, string holder, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the lease up (on shutdown) so another instance can take over at once.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="holder">The caller's instance id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when released.</returns>
    ValueTask ReleaseAsync(string projectionName, string holder, CancellationToken cancellationToken);
}
