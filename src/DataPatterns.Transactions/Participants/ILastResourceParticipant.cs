namespace DataPatterns.Transactions;

/// <summary>
/// A participant that can commit its local transaction with the coordinator's commit decision written inside it: the
/// last-resource commit (see <see cref="TwoPhaseCommitOptions.LastResourceCommit"/>). It is never prepared; its ordinary
/// commit, which carries the decision record, is the moment the whole transaction commits.
/// </summary>
public interface ILastResourceParticipant : ITransactionParticipant
{
    /// <summary>Whether this branch's database holds <paramref name="decisionLog"/>, so the decision can ride its commit.</summary>
    bool CanRecordDecisionIn(IFencingDecisionLog decisionLog);

    /// <summary>
    /// Writes <paramref name="decision"/> into <paramref name="decisionLog"/>'s table inside this branch's transaction and
    /// commits it. When this throws, the outcome is unknown until <see cref="IFencingDecisionLog.TryRecordAbortAsync"/> settles it.
    /// </summary>
    ValueTask CommitWithDecisionAsync(IFencingDecisionLog decisionLog, CommitDecision decision, CancellationToken cancellationToken);
}
