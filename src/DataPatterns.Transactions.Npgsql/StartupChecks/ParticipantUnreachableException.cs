namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A participant's PostgreSQL server could not be reached when the coordinator started: nothing answered at its host and
/// port, the database does not exist, or the login was refused. The message names the resource, where it points, and
/// what to check; <see cref="Exception.InnerException"/> holds Npgsql's own error.
/// </summary>
public sealed class ParticipantUnreachableException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public ParticipantUnreachableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ParticipantUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ParticipantUnreachableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a resource, where it points, and the error of the attempt.</summary>
    public ParticipantUnreachableException(string resourceName, string host, int port, string database, Exception innerException)
        : base(
            $"Resource '{resourceName}': could not connect to PostgreSQL at {host}:{port}, database '{database}' ({innerException?.Message}). "
            + $"Check that the server is running and listens on {host}:{port} (listen_addresses, port, firewall), that the database exists and the login in the connection string is allowed (pg_hba.conf, password); "
            + $"the connection string is the one given to UseNpgsql(\"{resourceName}\", ...).",
            innerException)
    {
        ResourceName = resourceName;
        Host = host;
        Port = port;
        Database = database;
    }

    /// <summary>The resource that could not be reached.</summary>
    public string ResourceName { get; } = string.Empty;

    /// <summary>The host its connection string names.</summary>
    public string Host { get; } = string.Empty;

    /// <summary>The port its connection string names.</summary>
    public int Port { get; }

    /// <summary>The database its connection string names.</summary>
    public string Database { get; } = string.Empty;
}
