namespace DataPatterns.Transactions;

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
