namespace DataPatterns.Cqrs;

/// <summary>Reads the dead-letter store.</summary>
public interface IDeadLetterStore
{
    /// <summary>The parked events of <paramref name="projectionName"/>, oldest first.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The dead letters.</returns>
    ValueTask<IReadOnlyList<DeadLetter>> GetAsync(string projectionName, CancellationToken cancellationToken);
}
