namespace DataPatterns.Transactions.MySql;

/// <summary>
/// A MariaDB (or MySQL) server cannot take part in two-phase commit as configured: XA is off, the default engine or a
/// table of the database is not transactional, the server is too old to keep prepared branches across a disconnect, or
/// the user may not run <c>XA RECOVER</c>. The message names the setting and the fix.
/// </summary>
public sealed class XaTransactionsUnavailableException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public XaTransactionsUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public XaTransactionsUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public XaTransactionsUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a resource and what its server lacks.</summary>
    public XaTransactionsUnavailableException(string resourceName, string problem, Exception? innerException = null)
        : base($"Resource '{resourceName}': {problem}", innerException)
    {
        ResourceName = resourceName;
    }

    /// <summary>The resource that failed the check.</summary>
    public string ResourceName { get; } = string.Empty;
}
