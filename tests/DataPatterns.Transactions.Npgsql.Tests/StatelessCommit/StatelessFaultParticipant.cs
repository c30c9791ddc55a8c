namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>What goes wrong around a real branch's marker-and-prepare.</summary>
public enum StatelessFault
{
    /// <summary>The branch prepares on the server, but its answer never reaches the coordinator.</summary>
    AnswerLost,

    /// <summary>The call fails before anything is sent (the branch stays open, unprepared).</summary>
    FailsBeforeSending,

    /// <summary>The call never answers until the commit times out (the branch stays open, unprepared).</summary>
    Hangs,
}

/// <summary>Wraps a real <see cref="NpgsqlTransactionBranch"/> and injects one <see cref="StatelessFault"/> into its prepare.</summary>
internal sealed class StatelessFaultParticipant(NpgsqlTransactionBranch inner, StatelessFault fault) : IStatelessParticipant, IAsyncDisposable
{
    public string ResourceName => inner.ResourceName;

    public async ValueTask PrepareWithMarkerAsync(string globalId, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case StatelessFault.AnswerLost:
                await inner.PrepareWithMarkerAsync(globalId, cancellationToken);
                throw new IOException($"{ResourceName}: injected loss of the prepare's answer");
            case StatelessFault.FailsBeforeSending:
                throw new IOException($"{ResourceName}: injected failure before the prepare was sent");
            default:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
        }
    }

    public ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken) => inner.PrepareAsync(globalId, cancellationToken);

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken) => inner.CommitPreparedAsync(globalId, cancellationToken);

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
