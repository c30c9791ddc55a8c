namespace DataPatterns.Transactions;

/// <summary>
/// Where the coordinator writes its commit decisions. Presumed abort: only commits are recorded, and a transaction with
/// no record is rolled back by recovery. <see cref="RecordCommitAsync"/> must be durable when it returns.
/// </summary>
public interface IDecisionLog
{
    /// <summary>Makes the commit decision durable (fsync'd) before returning; after this the transaction is committed.</summary>
    ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken);

    /// <summary>Marks a transaction finished (every branch acknowledged) so its record can be compacted away. Need not be durable.</summary>
    ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken);

    /// <summary>Every commit decision not yet forgotten, for recovery.</summary>
    ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken);
}
