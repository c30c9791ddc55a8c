namespace DataPatterns.Cqrs;

/// <summary>An event a projection could not apply after the configured attempts, parked with its cause.</summary>
/// <param name="ProjectionName">The projection.</param>
/// <param name="Generation">The generation it failed in.</param>
/// <param name="Event">The event.</param>
/// <param name="Error">The last failure (type and message).</param>
/// <param name="Attempts">How many times it was tried.</param>
/// <param name="ParkedAt">When it was parked.</param>
public sealed record DeadLetter(string ProjectionName, int Generation, EventEnvelope Event, string Error, int Attempts, DateTimeOffset ParkedAt);
