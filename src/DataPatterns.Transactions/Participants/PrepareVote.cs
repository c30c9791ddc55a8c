namespace DataPatterns.Transactions;

/// <summary>A participant's answer to prepare.</summary>
public enum PrepareVote
{
    /// <summary>Prepared: the work is durable and waits for the decision.</summary>
    Prepared,

    /// <summary>The branch wrote nothing and has already released itself: it takes no part in phase 2.</summary>
    ReadOnly,

    /// <summary>The branch cannot commit: the whole transaction rolls back.</summary>
    No,
}
