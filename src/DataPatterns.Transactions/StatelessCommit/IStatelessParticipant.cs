namespace DataPatterns.Transactions;

/// <summary>
/// A branch that can take part in stateless two-phase commit (<see cref="TwoPhaseCommitOptions.StatelessCommit"/>): it
/// prepares together with a marker row for its global id, in one round trip, so that the marker commits exactly when
/// the branch does and a fence already holding the key makes the prepare fail.
/// </summary>
public interface IStatelessParticipant : ITransactionParticipant
{
    /// <summary>
    /// Phase 1 of stateless commit: inserts the branch's marker for <paramref name="globalId"/> and prepares the branch
    /// under it. Throwing counts as a "no" vote; the coordinator then asks the participants what happened.
    /// </summary>
    ValueTask PrepareWithMarkerAsync(string globalId, CancellationToken cancellationToken);
}
