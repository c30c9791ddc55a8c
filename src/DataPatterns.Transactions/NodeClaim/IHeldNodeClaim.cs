namespace DataPatterns.Transactions;

/// <summary>A claim on a prefix and node id that this coordinator holds; disposing it gives the claim up.</summary>
public interface IHeldNodeClaim : IAsyncDisposable
{
    /// <summary>
    /// Checks that the claim is still held and takes it again when it was lost (its session ended with a server restart,
    /// say). Called before every recovery pass. A place that cannot be reached is left for the next pass.
    /// </summary>
    /// <exception cref="CoordinatorNodeInUseException">Another coordinator took the claim while it was lost.</exception>
    ValueTask RenewAsync(CancellationToken cancellationToken);
}
