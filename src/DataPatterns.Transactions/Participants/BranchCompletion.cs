namespace DataPatterns.Transactions;

/// <summary>What a phase-2 command found on the resource.</summary>
public enum BranchCompletion
{
    /// <summary>The prepared branch existed and is now committed (or rolled back, for a rollback).</summary>
    Completed,

    /// <summary>No prepared branch with that global id exists (already completed earlier, or resolved by someone else).</summary>
    NotFound,
}
