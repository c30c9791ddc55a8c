namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>Wraps a real branch and votes no at prepare (after the branch's own prepare, when asked to, so it is prepared).</summary>
internal sealed class VotingNoParticipant(ITransactionParticipant inner, bool prepareFirst) : ITransactionParticipant, IAsyncDisposable
{
    public string ResourceName => inner.ResourceName;

    public async ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        if (prepareFirst)
        {
            await inner.PrepareAsync(globalId, cancellationToken);
        }

        return PrepareVote.No;
    }

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken) => inner.CommitPreparedAsync(globalId, cancellationToken);

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
