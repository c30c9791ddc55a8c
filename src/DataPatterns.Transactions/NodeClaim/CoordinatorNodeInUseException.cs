namespace DataPatterns.Transactions;

/// <summary>
/// Another live coordinator already uses this <see cref="TwoPhaseCommitOptions.Prefix"/> and
/// <see cref="TwoPhaseCommitOptions.NodeId"/> on a database this one shares. Both would take the other's prepared branches
/// for their own, and past the grace period roll back branches of transactions the other committed. Give every instance
/// its own NodeId, or stop the other one (a replacement may start once the instance it replaces is gone: at once after a
/// clean stop or a killed process, about 30 s after its host vanished).
/// </summary>
public sealed class CoordinatorNodeInUseException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public CoordinatorNodeInUseException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CoordinatorNodeInUseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CoordinatorNodeInUseException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a prefix and node id claimed at <paramref name="location"/>.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="nodeId">The node id.</param>
    /// <param name="location">Where the other coordinator holds the claim (e.g. <c>host:port/database</c>).</param>
    /// <param name="holder">What is known of the other coordinator (e.g. its client address), or null.</param>
    public CoordinatorNodeInUseException(string prefix, string nodeId, string location, string? holder)
        : base($"Another live coordinator already uses TwoPhaseCommitOptions.Prefix '{prefix}' with NodeId '{nodeId}' on {location}{(holder is null ? string.Empty : $" ({holder})")}. Two coordinators with one prefix and node id would each roll back the other's prepared branches. Give this instance its own NodeId (unique per instance, stable across its restarts), or stop the other one first. If this instance replaces one whose host vanished (crash, network cut), the server ends that host's session about 30 s after it went silent: wait and start again, or, when you are sure the old host is gone, end the session named above with pg_terminate_backend(pid).")
    {
        Prefix = prefix;
        NodeId = nodeId;
        Location = location;
    }

    /// <summary>The prefix claimed.</summary>
    public string Prefix { get; } = string.Empty;

    /// <summary>The node id claimed.</summary>
    public string NodeId { get; } = string.Empty;

    /// <summary>Where the other coordinator holds the claim.</summary>
    public string Location { get; } = string.Empty;
}
