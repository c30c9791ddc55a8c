namespace DataPatterns.Cqrs;

/// <summary>What an instance is doing with a projection.</summary>
public enum ProjectionRole
{
    /// <summary>Not started yet.</summary>
    Starting,

    /// <summary>Another instance holds the lease; this one waits to take over.</summary>
    Standby,

    /// <summary>This instance holds the lease and runs the projection.</summary>
    Leader,

    /// <summary>Stopped after a poison event under <see cref="PoisonEventPolicy.ParkAndStop"/>.</summary>
    Stopped,
}

/// <summary>A snapshot of one projection's state in this instance.</summary>
/// <param name="Name">The projection.</param>
/// <param name="Role">What this instance does with it.</param>
/// <param name="LiveGeneration">The generation readers see.</param>
/// <param name="Checkpoint">The live generation's checkpoint.</param>
/// <param name="RebuildingGeneration">The generation being rebuilt, or null.</param>
/// <param name="EventsBehind">Committed events after the checkpoint at the last probe.</param>
/// <param name="SecondsBehind">Age of the oldest unprocessed event at the last probe (0 when none).</param>
/// <param name="LagMeasuredAt">When lag was last measured (null before the first probe).</param>
/// <param name="DeadLettered">Events parked by this instance.</param>
/// <param name="LastError">The last failure, or null.</param>
public sealed record ProjectionStatus(
    string Name,
    ProjectionRole Role,
    int LiveGeneration,
    EventPosition Checkpoint,
    int? RebuildingGeneration,
    long EventsBehind,
    double SecondsBehind,
    DateTimeOffset? LagMeasuredAt,
    long DeadLettered,
    string? LastError);

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
