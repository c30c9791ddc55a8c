using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>The faults of the last resource's commit, the one that carries the decision.</summary>
public enum LastResourceFault
{
    None,

    /// <summary>The commit (with the decision) happens, but its answer never reaches the coordinator.</summary>
    AnswerLost,

    /// <summary>The commit fails before anything is sent.</summary>
    FailsBeforeCommit,

    /// <summary>The server session is killed just before the commit: the local transaction dies with it.</summary>
    SessionKilledBeforeCommit,
}

/// <summary>Wraps the real last-resource branch (payments) and injects one <see cref="LastResourceFault"/>.</summary>
internal sealed class LastResourceFaultInjectingParticipant(NpgsqlTransactionBranch inner, LastResourceFault fault, string adminConnectionString)
    : ILastResourceParticipant, IAsyncDisposable
{
    public string ResourceName => inner.ResourceName;

    public bool CanRecordDecisionIn(IFencingDecisionLog decisionLog) => inner.CanRecordDecisionIn(decisionLog);

    public async ValueTask CommitWithDecisionAsync(IFencingDecisionLog decisionLog, CommitDecision decision, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case LastResourceFault.FailsBeforeCommit:
                throw new IOException($"{ResourceName}: injected failure before the commit");
            case LastResourceFault.SessionKilledBeforeCommit:
                await FaultInjectingParticipant.TerminateBackendAsync(adminConnectionString, inner.Connection.ProcessID);
                break;
            default:
                break;
        }

        await inner.CommitWithDecisionAsync(decisionLog, decision, cancellationToken);
        if (fault == LastResourceFault.AnswerLost)
        {
            throw new IOException($"{ResourceName}: injected loss of the commit's answer (the commit happened)");
        }
    }

    public ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken) => inner.PrepareAsync(globalId, cancellationToken);

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken) => inner.CommitPreparedAsync(globalId, cancellationToken);

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
