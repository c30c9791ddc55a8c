namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>What goes wrong around a real branch's marker-and-prepare.</summary>
public enum StatelessFault
{
    /// <summary>Nothing goes wrong.</summary>
    None,

    /// <summary>The branch prepares on the server, but its answer never reaches the coordinator.</summary>
    AnswerLost,

    /// <summary>The call fails before anything is sent (the branch stays open, unprepared).</summary>
    FailsBeforeSending,

    /// <summary>The call never answers until the commit times out (the branch stays open, unprepared).</summary>
    Hangs,

    /// <summary>The branch's server session is killed just before its marker and prepare are sent.</summary>
    SessionKilledBefore,

    /// <summary>The branch's server session is killed just after it prepared (phase 2 must use another connection).</summary>
    SessionKilledAfter,

    /// <summary>The first COMMIT PREPARED fails (phase 2 is retried in the background).</summary>
    CommitFailsOnce,
}

/// <summary>Wraps a real <see cref="NpgsqlTransactionBranch"/> and injects one <see cref="StatelessFault"/> into its prepare.</summary>
internal sealed class StatelessFaultParticipant(NpgsqlTransactionBranch inner, StatelessFault fault, string? adminConnectionString = null) : IStatelessParticipant, IAsyncDisposable
{
    private bool _commitFailed;

    /// <summary>Whether the caller must be told "aborted" when this fault hits one branch of a transfer.</summary>
    public static bool Aborts(StatelessFault fault) =>
        fault is StatelessFault.FailsBeforeSending or StatelessFault.Hangs or StatelessFault.SessionKilledBefore;

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
            case StatelessFault.Hangs:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
            case StatelessFault.SessionKilledBefore:
                await FaultInjectingParticipant.TerminateBackendAsync(adminConnectionString!, inner.Connection.ProcessID);
                await inner.PrepareWithMarkerAsync(globalId, cancellationToken);
                break;
            case StatelessFault.SessionKilledAfter:
                await inner.PrepareWithMarkerAsync(globalId, cancellationToken);
                await FaultInjectingParticipant.TerminateBackendAsync(adminConnectionString!, inner.Connection.ProcessID);
                break;
            default:
                await inner.PrepareWithMarkerAsync(globalId, cancellationToken);
                break;
        }
    }

    public ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken) => inner.PrepareAsync(globalId, cancellationToken);

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        if (fault == StatelessFault.CommitFailsOnce && !_commitFailed)
        {
            _commitFailed = true;
            throw new IOException($"{ResourceName}: injected transient COMMIT PREPARED failure");
        }

        return inner.CommitPreparedAsync(globalId, cancellationToken);
    }

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
