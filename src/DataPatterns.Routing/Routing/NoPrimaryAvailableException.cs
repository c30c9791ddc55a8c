namespace DataPatterns.Routing;

/// <summary>No node answered as a writable primary: writes cannot go anywhere until one does (for example until a standby is promoted).</summary>
public sealed class NoPrimaryAvailableException : RoutingException
{
    /// <summary>Creates the exception.</summary>
    public NoPrimaryAvailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and what to do.</param>
    public NoPrimaryAvailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public NoPrimaryAvailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
