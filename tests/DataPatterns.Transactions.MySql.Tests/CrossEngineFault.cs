using DataPatterns.Transactions.Npgsql;
using MySqlConnector;
using Npgsql;

namespace DataPatterns.Transactions.MySql.Tests;

/// <summary>The faults a real participant on either engine can suffer, injected around it.</summary>
public enum CrossEngineFault
{
    None,
    PrepareFails,
    CommitFailsOnce,
    PrepareTimesOut,
    SessionKilledBeforePrepare,
    SessionKilledAfterPrepare,
}

/// <summary>Wraps a real PostgreSQL or MariaDB branch and injects one <see cref="CrossEngineFault"/>; kills sessions for real.</summary>
internal sealed class CrossEngineFaultParticipant(ITransactionParticipant inner, CrossEngineFault fault, string adminConnectionString) : ITransactionParticipant, IAsyncDisposable
{
    private bool _commitFailed;

    public string ResourceName => inner.ResourceName;

    public async ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case CrossEngineFault.PrepareFails:
                throw new IOException($"{ResourceName}: injected prepare failure");
            case CrossEngineFault.PrepareTimesOut:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
            case CrossEngineFault.SessionKilledBeforePrepare:
                await KillSessionAsync();
                break;
            default:
                break;
        }

        var vote = await inner.PrepareAsync(globalId, cancellationToken);
        if (fault == CrossEngineFault.SessionKilledAfterPrepare)
        {
            await KillSessionAsync();
        }

        return vote;
    }

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        if (fault == CrossEngineFault.CommitFailsOnce && !_commitFailed)
        {
            _commitFailed = true;
            throw new IOException($"{ResourceName}: injected transient phase-2 failure");
        }

        return inner.CommitPreparedAsync(globalId, cancellationToken);
    }

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    private async Task KillSessionAsync()
    {
        switch (inner)
        {
            case NpgsqlTransactionBranch postgres:
                await CrossEngineBank.PostgresAsync(adminConnectionString, $"SELECT pg_terminate_backend({postgres.Connection.ProcessID})");
                await WaitUntilAsync(async () => (long)(await CrossEngineBank.PostgresAsync(adminConnectionString, $"SELECT count(*) FROM pg_stat_activity WHERE pid = {postgres.Connection.ProcessID}"))! == 0);
                break;
            case MySqlTransactionBranch mariaDb:
                var thread = mariaDb.Connection.ServerThread;
                await CrossEngineBank.MariaDbAsync(adminConnectionString, $"KILL {thread}");
                await WaitUntilAsync(async () => Convert.ToInt64(await CrossEngineBank.MariaDbAsync(adminConnectionString, $"SELECT COUNT(*) FROM information_schema.processlist WHERE id = {thread}"), System.Globalization.CultureInfo.InvariantCulture) == 0);
                break;
            default:
                throw new InvalidOperationException("Unknown branch type.");
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done)
    {
        for (var i = 0; i < 200 && !await done(); i++)
        {
            await Task.Delay(10);
        }
    }
}
