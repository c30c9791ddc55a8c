namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A recovery fenced this participant before the branch could prepare (it judged the transaction's coordinator gone):
/// the transaction is aborted. Roll the branch back; retrying the same global id can never succeed.
/// </summary>
public sealed class BranchFencedException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public BranchFencedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and what to do.</param>
    public BranchFencedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public BranchFencedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal BranchFencedException(string globalId, global::Npgsql.PostgresException cause)
        : base($"Transaction '{globalId}': a recovery fenced this participant before the branch prepared, so the transaction aborted. Roll the branch back and run the unit of work again under a new transaction.", cause)
    {
        GlobalId = globalId;
    }

    /// <summary>The fenced transaction's global id.</summary>
    public string? GlobalId { get; }
}
