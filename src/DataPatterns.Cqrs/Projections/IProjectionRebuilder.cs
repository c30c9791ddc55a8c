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
