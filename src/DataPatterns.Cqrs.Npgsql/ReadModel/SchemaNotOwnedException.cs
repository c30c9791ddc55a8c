namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// The read-model store was about to create views in, or drop, a schema or view it did not create: one that exists but
/// is not recorded as the library's own in the bookkeeping table <c>owned_objects</c>. Nothing was changed.
/// </summary>
public sealed class SchemaNotOwnedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="schemaName">The schema the store refused to touch.</param>
    /// <param name="projectionName">The projection whose name led to it.</param>
    /// <param name="message">What happened and what to do.</param>
    public SchemaNotOwnedException(string schemaName, string projectionName, string message)
        : base(message)
    {
        SchemaName = schemaName;
        ProjectionName = projectionName;
    }

    /// <summary>Creates the exception.</summary>
    public SchemaNotOwnedException()
        : base("The read-model store refused to touch a schema it did not create.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public SchemaNotOwnedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public SchemaNotOwnedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The schema the store refused to touch.</summary>
    public string? SchemaName { get; }

    /// <summary>The projection whose name led to it.</summary>
    public string? ProjectionName { get; }
}
