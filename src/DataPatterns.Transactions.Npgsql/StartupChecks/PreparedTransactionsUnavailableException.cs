namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A PostgreSQL server cannot take part in two-phase commit: <c>max_prepared_transactions</c> is 0, or lower than the
/// number of connections the pool may prepare at once. Raise it in postgresql.conf and restart the server.
/// </summary>
public sealed class PreparedTransactionsUnavailableException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public PreparedTransactionsUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public PreparedTransactionsUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public PreparedTransactionsUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a resource and the server's setting.</summary>
    public PreparedTransactionsUnavailableException(string resourceName, int maxPreparedTransactions, int maxPoolSize)
        : base(maxPreparedTransactions == 0
            ? $"Resource '{resourceName}': the PostgreSQL server has max_prepared_transactions = 0, so PREPARE TRANSACTION is disabled. Set max_prepared_transactions to at least {maxPoolSize} (the pool's Maximum Pool Size) in postgresql.conf and restart the server."
            : $"Resource '{resourceName}': the PostgreSQL server has max_prepared_transactions = {maxPreparedTransactions}, fewer than the {maxPoolSize} connections the pool may prepare at once. Raise max_prepared_transactions to at least {maxPoolSize} in postgresql.conf and restart, or lower Maximum Pool Size.")
    {
        ResourceName = resourceName;
        MaxPreparedTransactions = maxPreparedTransactions;
        MaxPoolSize = maxPoolSize;
    }

    /// <summary>The resource that failed the check.</summary>
    public string ResourceName { get; } = string.Empty;

    /// <summary>The server's <c>max_prepared_transactions</c>.</summary>
    public int MaxPreparedTransactions { get; }

    /// <summary>The pool's maximum size.</summary>
    public int MaxPoolSize { get; }
}
