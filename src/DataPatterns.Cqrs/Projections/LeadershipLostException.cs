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

/// <summary>The registered projections or their options are inconsistent; the message says what to fix.</summary>
public sealed class ProjectionConfigurationException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    public ProjectionConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ProjectionConfigurationException()
        : base("The projection configuration is invalid.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ProjectionConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
