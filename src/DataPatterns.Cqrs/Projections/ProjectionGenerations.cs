namespace DataPatterns.Cqrs;

/// <summary>The live generation of a projection and the one being rebuilt, if any.</summary>
/// <param name="Live">The generation readers see.</param>
/// <param name="Building">The generation being rebuilt from the start, or null.</param>
public readonly record struct ProjectionGenerations(GenerationState Live, GenerationState? Building);
