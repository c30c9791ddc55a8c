namespace DataPatterns.Transactions;

/// <summary>One branch named in a <see cref="CommitDecision"/>.</summary>
/// <param name="ResourceName">The resource the branch lives on.</param>
/// <param name="GlobalId">The branch's global id.</param>
public sealed record CommitBranch(string ResourceName, string GlobalId);
