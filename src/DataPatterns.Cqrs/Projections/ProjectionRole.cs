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
