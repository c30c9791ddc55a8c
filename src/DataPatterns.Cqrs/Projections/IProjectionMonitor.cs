namespace DataPatterns.Cqrs;

/// <summary>The current state of every projection in this instance (for dashboards, health checks and tests).</summary>
public interface IProjectionMonitor
{
    /// <summary>All projections' state.</summary>
    /// <returns>One status per registered projection.</returns>
    IReadOnlyList<ProjectionStatus> GetAll();

    /// <summary>One projection's state, or null when no projection has that name.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <returns>The status.</returns>
    ProjectionStatus? Find(string projectionName);
}
