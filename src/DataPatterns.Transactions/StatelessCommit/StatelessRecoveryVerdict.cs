namespace DataPatterns.Transactions;

/// <summary>What a recovery does with a stateless transaction after looking at every participant once.</summary>
public enum StatelessRecoveryVerdict
{
    /// <summary>Every branch voted yes (or one already committed): COMMIT PREPARED wherever a branch is still prepared.</summary>
    Commit,

    /// <summary>A participant is fenced: ROLLBACK PREPARED wherever a branch is prepared.</summary>
    Abort,

    /// <summary>
    /// Some participant shows nothing: fence each of those. A fence that lands decides the abort; a fence that waits on a
    /// row lock means that branch is running or prepared, and one that meets a marker means the transaction moved on —
    /// in both cases look again later.
    /// </summary>
    FenceAbsent,
}
