namespace DataPatterns.Transactions.MySql;

/// <summary>
/// A participant's MariaDB server could not be reached when the coordinator started: nothing answered at its host and
/// port, the database does not exist, or the login was refused. The message names the resource, where it points and what
/// to check; <see cref="Exception.InnerException"/> holds MySqlConnector's own error.
/// </summary>
public sealed class MySqlParticipantUnreachableException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public MySqlParticipantUnreachableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MySqlParticipantUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public MySqlParticipantUnreachableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a resource, where it points, and the error of the attempt.</summary>
    public MySqlParticipantUnreachableException(string resourceName, string host, uint port, string database, Exception innerException)
        : base(
            $"Resource '{resourceName}': could not connect to MariaDB at {host}:{port}, database '{database}' ({innerException?.Message}). "
            + $"Check that the server is running and listens on {host}:{port} (bind-address, port, firewall), that the database exists and the user in the connection string may log in from this host (CREATE USER / GRANT); "
            + $"the connection string is the one given to UseMySql(\"{resourceName}\", ...).",
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
    public uint Port { get; }

    /// <summary>The database its connection string names.</summary>
    public string Database { get; } = string.Empty;
}
