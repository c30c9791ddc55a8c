namespace DataPatterns.Cqrs;

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
