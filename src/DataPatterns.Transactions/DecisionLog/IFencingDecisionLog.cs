namespace DataPatterns.Transactions;

/// <summary>
/// A decision log that can also record an abort in a way that fences a commit out: once
/// <see cref="TryRecordAbortAsync"/> has returned true, no commit decision for that transaction can ever be recorded,
/// even by a commit still on its way to the database. A last-resource commit needs this to settle a commit whose
/// acknowledgement was lost, and recovery uses it before it presumes an abort.
/// </summary>
public interface IFencingDecisionLog : IDecisionLog
{
    /// <summary>
    /// Records that <paramref name="transactionId"/> aborted, unless a commit decision exists or is being written (then it
    /// waits for that write to finish). Returns true when the transaction is aborted for good, false when it committed.
    /// </summary>
    ValueTask<bool> TryRecordAbortAsync(Guid transactionId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes abort records older than <paramref name="olderThan"/>, aged on the log's own clock (the one that stamped
    /// them); kept until then so that a commit delayed in the network still finds its fence.
    /// </summary>
    ValueTask PurgeAbortsAsync(TimeSpan olderThan, CancellationToken cancellationToken);
}
