namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// A Galera node answered but must take no traffic: it is not Synced (Joining, Donor/Desynced), not ready, outside the
/// Primary component, or not a Galera node at all. The router ejects it with this message as the reason and takes it
/// back once it answers Synced again.
/// </summary>
public sealed class GaleraNodeUnavailableException : RoutingException
{
    /// <summary>Creates the exception.</summary>
    public GaleraNodeUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and what to do.</param>
    public GaleraNodeUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public GaleraNodeUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The node's <c>wsrep_local_state_comment</c> (Joining, Donor/Desynced, ...), or "not a Galera node".</summary>
    public string? NodeState { get; init; }

    /// <summary>False when the node is not a Galera node (a configuration error); true for a state the node leaves by itself.</summary>
    public bool IsGaleraNode { get; init; } = true;

    /// <summary>True for a state the node leaves on its own (it resyncs); false for a node that is not a Galera member.</summary>
    public override bool IsTransient => IsGaleraNode;
}
