namespace DataPatterns.Transactions;

/// <summary>What <see cref="FileDecisionLog.Salvage"/> did.</summary>
/// <param name="Path">The log's full path.</param>
/// <param name="DamagedCopyPath">The copy of the file as it was before the salvage (its offsets are the ones logged); null when nothing was damaged.</param>
/// <param name="RecordsKept">The readable records the salvaged log keeps, in their order.</param>
/// <param name="DamagedOffsets">Where each damaged range started in the file as it was.</param>
/// <param name="PossiblyLostTransactions">The transaction ids the damaged records seem to hold (they may be damaged too).</param>
public sealed record DecisionLogSalvageReport(
    string Path,
    string? DamagedCopyPath,
    int RecordsKept,
    IReadOnlyList<long> DamagedOffsets,
    IReadOnlyList<Guid> PossiblyLostTransactions);
