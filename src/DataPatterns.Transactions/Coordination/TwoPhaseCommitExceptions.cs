namespace DataPatterns.Transactions;

/// <summary>The base of every two-phase-commit failure this package throws.</summary>
public class TwoPhaseCommitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TwoPhaseCommitException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TwoPhaseCommitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TwoPhaseCommitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The transaction rolled back on every participant: one voted no, failed or timed out during prepare, or the decision
/// could not be written. Nothing was committed anywhere; retry the whole unit of work if it makes sense.
/// </summary>
public sealed class TwoPhaseCommitAbortedException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public TwoPhaseCommitAbortedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TwoPhaseCommitAbortedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TwoPhaseCommitAbortedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a transaction and the participants that caused the rollback.</summary>
    public TwoPhaseCommitAbortedException(Guid transactionId, IReadOnlyList<string> failedParticipants, string message, Exception? innerException)
        : base(message, innerException)
    {
        TransactionId = transactionId;
        FailedParticipants = failedParticipants;
    }

    /// <summary>The transaction that rolled back.</summary>
    public Guid TransactionId { get; }

    /// <summary>The resource names of the participants that voted no, failed or timed out.</summary>
    public IReadOnlyList<string> FailedParticipants { get; } = [];
}

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

/// <summary>
/// The outcome is not known yet: the last resource's commit (which carries the decision) lost its answer, and its
/// database could not be asked afterwards. Nothing is lost or half-done: the other participants stay prepared, and
/// recovery commits them if the decision row is there, or rolls them back (after fencing) if it is not.
/// </summary>
public sealed class TransactionInDoubtException : TwoPhaseCommitException
{
    /// <summary>Creates the exception.</summary>
    public TransactionInDoubtException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TransactionInDoubtException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TransactionInDoubtException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="transactionId"/>, whose last resource is <paramref name="resourceName"/>.</summary>
    public TransactionInDoubtException(Guid transactionId, string resourceName, Exception? innerException)
        : base($"Transaction {transactionId:N}: the commit on '{resourceName}', which carries the decision, did not answer and '{resourceName}' could not be asked afterwards, so the outcome is not known yet. Recovery settles it (commit if the decision row is in '{resourceName}', roll back otherwise); do not retry the unit of work until it has.", innerException)
    {
        TransactionId = transactionId;
        ResourceName = resourceName;
    }

    /// <summary>The transaction.</summary>
    public Guid TransactionId { get; }

    /// <summary>The resource whose commit carried the decision.</summary>
    public string ResourceName { get; } = string.Empty;
}

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
