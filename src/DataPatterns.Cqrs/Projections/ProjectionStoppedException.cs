namespace DataPatterns.Cqrs;

/// <summary>Thrown inside the runner to stop a projection under <see cref="PoisonEventPolicy.ParkAndStop"/>.</summary>
internal sealed class ProjectionStoppedException : Exception
{
    public ProjectionStoppedException()
        : base("The projection stopped after parking a poison event.")
    {
    }

    public ProjectionStoppedException(string message)
        : base(message)
    {
    }

    public ProjectionStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
