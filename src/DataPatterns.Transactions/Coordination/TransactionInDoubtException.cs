namespace DataPatterns.Transactions;

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

    internal TransactionInDoubtException(Guid transactionId, IReadOnlyList<string> resourceNames, string message, Exception? innerException)
        : base(message, innerException)
    {
        TransactionId = transactionId;
        ResourceName = string.Join(", ", resourceNames);
    }

    /// <summary>The transaction.</summary>
    public Guid TransactionId { get; }

    /// <summary>The resource whose commit carried the decision (with stateless commit: the participants that did not answer).</summary>
    public string ResourceName { get; } = string.Empty;
}
