namespace DataPatterns.Transactions;

/// <summary>The points in the protocol that the step observer sees (for crash tests and diagnostics).</summary>
internal enum TransactionProtocolStep
{
    /// <summary>The first participant has prepared.</summary>
    FirstPrepared,

    /// <summary>Every participant has voted.</summary>
    AllPrepared,

    /// <summary>The commit decision is durable.</summary>
    DecisionLogged,

    /// <summary>The first participant acknowledged phase 2.</summary>
    FirstCommitted,
}
