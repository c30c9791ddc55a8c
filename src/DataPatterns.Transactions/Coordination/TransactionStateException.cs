namespace DataPatterns.Transactions;

/// <summary>An operation that the transaction's state does not allow (enlisting after commit started, committing twice).</summary>
public sealed class TransactionStateException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public TransactionStateException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TransactionStateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TransactionStateException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
