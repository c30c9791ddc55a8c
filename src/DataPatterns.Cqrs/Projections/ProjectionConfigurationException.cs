namespace DataPatterns.Cqrs;

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
