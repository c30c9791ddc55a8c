namespace DataPatterns.Cqrs;

/// <summary>
/// A projection write was refused because the writer's lease token is no longer current (another instance took over)
/// or the stored checkpoint is not where the writer thought. The runner steps down; nothing was written.
/// </summary>
public sealed class LeadershipLostException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public LeadershipLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public LeadershipLostException()
        : base("This instance no longer holds the projection's lease; another instance is running it. Nothing was written.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public LeadershipLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
