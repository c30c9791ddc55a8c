using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>
/// The router could not hand out a connection for an intent. A <see cref="DbException"/>, so data-access code that
/// already handles database errors handles it too.
/// </summary>
public class RoutingException : DbException
{
    /// <summary>Creates the exception.</summary>
    public RoutingException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and what to do.</param>
    public RoutingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public RoutingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The router's name.</summary>
    public string? RouterName { get; init; }
}
