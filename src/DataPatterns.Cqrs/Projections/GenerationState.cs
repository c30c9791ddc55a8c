namespace DataPatterns.Cqrs;

/// <summary>One generation of a projection's read model and how far it has got.</summary>
/// <param name="Generation">The generation number (1 for the first build).</param>
/// <param name="Checkpoint">The position of the last event applied (or skipped) in it.</param>
public readonly record struct GenerationState(int Generation, EventPosition Checkpoint);
