namespace DataPatterns.Cqrs;

/// <summary>An event a projection could not apply after the configured attempts, parked with its cause.</summary>
/// <param name="ProjectionName">The projection.</param>
/// <param name="Generation">The generation it failed in.</param>
/// <param name="Event">The event.</param>
/// <param name="Error">The last failure (type and message).</param>
/// <param name="Attempts">How many times it was tried.</param>
/// <param name="ParkedAt">When it was parked.</param>
public sealed record DeadLetter(string ProjectionName, int Generation, EventEnvelope Event, string Error, int Attempts, DateTimeOffset ParkedAt);

/// <summary>Reads the dead-letter store.</summary>
public interface IDeadLetterStore
{
    /// <summary>The parked events of <paramref name="projectionName"/>, oldest first.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The dead letters.</returns>
    ValueTask<IReadOnlyList<DeadLetter>> GetAsync(string projectionName, CancellationToken cancellationToken);
}

/// <summary>What the runner does after parking a poison event.</summary>
public enum PoisonEventPolicy
{
    /// <summary>Park the event in the dead-letter store and continue with the next one (the read model misses it until replayed).</summary>
    ParkAndContinue,

    /// <summary>Park the event and stop the projection (unhealthy) until the process restarts; the event is retried then.</summary>
    ParkAndStop,
}
