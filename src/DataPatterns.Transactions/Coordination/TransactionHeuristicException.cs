namespace DataPatterns.Transactions;

/// <summary>
/// The decision was commit, but a participant had already rolled its prepared branch back (a heuristic outcome, e.g. an
/// administrator ran ROLLBACK PREPARED). The other participants committed: the data is inconsistent and needs a person.
/// </summary>
public sealed class TransactionHeuristicException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public TransactionHeuristicException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TransactionHeuristicException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TransactionHeuristicException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for the branches that were found rolled back.</summary>
    public TransactionHeuristicException(Guid transactionId, IReadOnlyList<string> globalIds)
        : base($"Transaction {transactionId:N} was decided COMMIT, but branch(es) {string.Join(", ", globalIds)} had already been rolled back by someone else (a heuristic outcome). The other branches committed; reconcile the data by hand and find who resolved the prepared transaction.")
    {
        TransactionId = transactionId;
        GlobalIds = globalIds;
    }

    /// <summary>The transaction.</summary>
    public Guid TransactionId { get; }

    /// <summary>The global ids of the branches that had been rolled back.</summary>
    public IReadOnlyList<string> GlobalIds { get; } = [];
}
