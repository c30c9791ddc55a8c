namespace DataPatterns.Cqrs;

/// <summary>Starts blue/green rebuilds of projections.</summary>
public interface IProjectionRebuilder
{
    /// <summary>
    /// Asks for a rebuild of <paramref name="projectionName"/>: the lease holder replays every event from the start into
    /// a fresh generation while the live one keeps serving and updating, and switches readers over when the new one has
    /// caught up. Returns at once; watch <see cref="IProjectionMonitor"/> for the switch.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The generation being built.</returns>
    ValueTask<int> RebuildAsync(string projectionName, CancellationToken cancellationToken = default);
}

/// <summary>Records the request in the store; the runner of whichever instance leads picks it up.</summary>
internal sealed class ProjectionRebuilder(IProjectionStore store, IEnumerable<IProjection> projections) : IProjectionRebuilder
{
    public ValueTask<int> RebuildAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        if (!projections.Any(p => string.Equals(p.Name, projectionName, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"No projection named '{projectionName}' is registered; register it with AddCqrs(cqrs => cqrs.AddProjection<T>()).", nameof(projectionName));
        }

        return store.RequestRebuildAsync(projectionName, cancellationToken);
    }
}
