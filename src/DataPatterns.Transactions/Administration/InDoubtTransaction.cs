namespace DataPatterns.Transactions;

/// <summary>A transaction with at least one branch prepared and not yet completed, as <see cref="TransactionAdmin.ListInDoubtAsync"/> found it.</summary>
/// <param name="TransactionId">The transaction (the <c>txid</c> part of its global ids).</param>
/// <param name="Node">The coordinator node that began it; <c>~</c> for stateless commit, which has none.</param>
/// <param name="State">What recovery will do with it.</param>
/// <param name="Age">How long ago its oldest prepared branch was prepared (the resource's clock against this one's).</param>
/// <param name="Participants">Every participant the transaction names (stateless commit, or a commit decision); else the ones found.</param>
/// <param name="Prepared">Its branches found prepared, with their resources.</param>
public sealed record InDoubtTransaction(
    Guid TransactionId,
    string Node,
    InDoubtState State,
    TimeSpan Age,
    IReadOnlyList<string> Participants,
    IReadOnlyList<InDoubtParticipant> Prepared);
