using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>The faults a real PostgreSQL participant can suffer, injected around it.</summary>
public enum InjectedFault
{
    None,
    PrepareFails,
    CommitFailsOnce,
    PrepareTimesOut,
    RestartBeforePrepare,
    RestartAfterPrepare,
}

/// <summary>Wraps a real <see cref="NpgsqlTransactionBranch"/> and injects one <see cref="InjectedFault"/>.</summary>
internal sealed class FaultInjectingParticipant(NpgsqlTransactionBranch inner, InjectedFault fault, string adminConnectionString) : ITransactionParticipant, IAsyncDisposable
{
    private bool _commitFailed;

    public NpgsqlTransactionBranch Inner => inner;

    public string ResourceName => inner.ResourceName;

    public async ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case InjectedFault.PrepareFails:
                throw new IOException($"{ResourceName}: injected prepare failure");
            case InjectedFault.PrepareTimesOut:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
            case InjectedFault.RestartBeforePrepare:
                await TerminateBackendAsync();
                break;
            default:
                break;
        }

        var vote = await inner.PrepareAsync(globalId, cancellationToken);
        if (fault == InjectedFault.RestartAfterPrepare)
        {
            await TerminateBackendAsync();
        }

        return vote;
    }

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        if (fault == InjectedFault.CommitFailsOnce && !_commitFailed)
        {
            _commitFailed = true;
            throw new IOException($"{ResourceName}: injected transient COMMIT PREPARED failure");
        }

        return inner.CommitPreparedAsync(globalId, cancellationToken);
    }

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private Task TerminateBackendAsync() => TerminateBackendAsync(adminConnectionString, inner.Connection.ProcessID);

    /// <summary>Kills the server session <paramref name="processId"/> and waits until it is gone.</summary>
    public static async Task TerminateBackendAsync(string adminConnectionString, int processId)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = processId });
        await command.ExecuteNonQueryAsync();
        for (var i = 0; i < 100; i++)
        {
            await using var check = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", connection);
            check.Parameters.Add(new NpgsqlParameter { Value = processId });
            if ((long)(await check.ExecuteScalarAsync())! == 0)
            {
                return;
            }

            await Task.Delay(10);
        }
    }
}
