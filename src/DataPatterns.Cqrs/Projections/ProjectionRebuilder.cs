namespace DataPatterns.Cqrs;

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
