namespace DataPatterns.Transactions;

/// <summary>What one recovery pass did.</summary>
/// <param name="Committed">Prepared branches committed because a commit decision was on record (stateless commit: because every branch had prepared).</param>
/// <param name="RolledBack">Prepared branches rolled back because no decision was on record (presumed abort) and they were older than the grace period (stateless commit: because a participant was fenced).</param>
/// <param name="Waiting">Branches left alone: in flight in this process, or younger than the grace period, or failed to resolve.</param>
/// <param name="Forgotten">Decision records removed because every branch of theirs is finished (stateless commit: markers deleted).</param>
/// <param name="UnreachableResources">Resources that could not be asked; their branches wait for the next pass.</param>
public sealed record RecoveryResult(int Committed, int RolledBack, int Waiting, int Forgotten, IReadOnlyList<string> UnreachableResources);
