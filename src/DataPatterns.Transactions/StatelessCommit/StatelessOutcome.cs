namespace DataPatterns.Transactions;

/// <summary>How <see cref="StatelessResolver.ResolveAsync"/> left a stateless transaction.</summary>
public enum StatelessOutcome
{
    /// <summary>Committed: every prepared branch was sent COMMIT PREPARED.</summary>
    Committed,

    /// <summary>Aborted: a participant is fenced, and every prepared branch was sent ROLLBACK PREPARED.</summary>
    Aborted,

    /// <summary>Undecided for now: a branch is still running or a fence kept meeting a held key; try again later.</summary>
    Pending,
}
