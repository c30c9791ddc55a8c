namespace DataPatterns.Cqrs;

/// <summary>Holds the mutable status; the runner writes, readers get immutable snapshots.</summary>
internal sealed class ProjectionMonitor : IProjectionMonitor
{
    private readonly Dictionary<string, ProjectionStatus> _statuses = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public IReadOnlyList<ProjectionStatus> GetAll()
    {
        lock (_lock)
        {
            return [.. _statuses.Values];
        }
    }

    public ProjectionStatus? Find(string projectionName)
    {
        lock (_lock)
        {
            return _statuses.GetValueOrDefault(projectionName);
        }
    }

    public void Update(string name, Func<ProjectionStatus, ProjectionStatus> change)
    {
        lock (_lock)
        {
            var current = _statuses.GetValueOrDefault(name)
                ?? new ProjectionStatus(name, ProjectionRole.Starting, 0, EventPosition.Start, null, 0, 0, null, 0, null);
            _statuses[name] = change(current);
        }
    }
}
