namespace DataPatterns.Routing;

/// <summary>No replica could take a read and <see cref="ReadWriteRouterOptions.WhenNoReplica"/> is <see cref="NoReplicaBehavior.Fail"/>.</summary>
public sealed class NoReplicaAvailableException : RoutingException
{
    /// <summary>Creates the exception.</summary>
    public NoReplicaAvailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and what to do.</param>
    public NoReplicaAvailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public NoReplicaAvailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
