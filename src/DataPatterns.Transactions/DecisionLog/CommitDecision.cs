namespace DataPatterns.Transactions;

/// <summary>A durable commit decision: the transaction and the branches that must commit.</summary>
/// <param name="TransactionId">The transaction.</param>
/// <param name="DecidedAt">When the coordinator decided.</param>
/// <param name="Branches">The prepared branches that take part in phase 2.</param>
public sealed record CommitDecision(Guid TransactionId, DateTimeOffset DecidedAt, IReadOnlyList<CommitBranch> Branches);
