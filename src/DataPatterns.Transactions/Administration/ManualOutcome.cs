namespace DataPatterns.Transactions;

/// <summary>The outcome an operator asks <see cref="TransactionAdmin.ResolveAsync"/> for.</summary>
public enum ManualOutcome
{
    /// <summary>Commit every prepared branch.</summary>
    Commit,

    /// <summary>Roll back every prepared branch.</summary>
    RollBack,
}
