namespace DataPatterns.Transactions;

/// <summary>
/// The decision log of stateless commit, which keeps none: nothing is ever recorded, so there is nothing to read or
/// forget. Recording is a bug (the stateless path never decides through a log) and says so.
/// </summary>
internal sealed class NoDecisionLog : IDecisionLog
{
    public static readonly NoDecisionLog Instance = new();

    private NoDecisionLog()
    {
    }

    public ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("Stateless commit keeps no decision log; a decision was about to be recorded in none. This is a bug in DataPatterns.Transactions.");

    public ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<CommitDecision>>([]);

    public ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
