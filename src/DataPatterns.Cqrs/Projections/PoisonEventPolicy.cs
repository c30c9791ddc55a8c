namespace DataPatterns.Cqrs;

/// <summary>What the runner does after parking a poison event.</summary>
public enum PoisonEventPolicy
{
    /// <summary>Park the event in the dead-letter store and continue with the next one (the read model misses it until replayed).</summary>
    ParkAndContinue,

    /// <summary>Park the event and stop the projection (unhealthy) until the process restarts; the event is retried then.</summary>
    ParkAndStop,
}
