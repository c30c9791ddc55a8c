namespace DataPatterns.Transactions.Tests;

/// <summary>A participant on a <see cref="FakeDatabase"/> with knobs for every fault the coordinator must survive.</summary>
internal sealed class FakeBranch : ITransactionParticipant, IAsyncDisposable
{
    private readonly FakeDatabase _database;
    private readonly Dictionary<string, long> _changes = [];

    public FakeBranch(FakeDatabase database, string key, long delta)
    {
        _database = database;
        if (delta != 0)
        {
            _changes[key] = delta;
        }
    }

    public string ResourceName => _database.Name;

    public PrepareVote Vote { get; set; } = PrepareVote.Prepared;

    public bool ThrowOnPrepare { get; set; }

    public bool HangOnPrepare { get; set; }

    public int FailCommitTimes { get; set; }

    /// <summary>When set, COMMIT PREPARED waits for this task first (a slow participant in phase 2).</summary>
    public Task? HoldCommitUntil { get; set; }

    public bool RolledBack { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>Makes <see cref="DisposeAsync"/> throw (a connection whose clean-up fails after its commit).</summary>
    public bool ThrowOnDispose { get; set; }

    public bool ReadOnly => _changes.Count == 0;

    public async ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        if (HangOnPrepare)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (ThrowOnPrepare)
        {
            throw new IOException($"{ResourceName}: connection lost during prepare");
        }

        if (Vote != PrepareVote.Prepared)
        {
            return Vote;
        }

        if (ReadOnly)
        {
            return PrepareVote.ReadOnly;
        }

        _database.Prepare(globalId, _changes);
        return PrepareVote.Prepared;
    }

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken)
    {
        if (ThrowOnPrepare)
        {
            throw new IOException($"{ResourceName}: commit failed");
        }

        _database.CommitDirect(_changes);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        if (HoldCommitUntil is { } hold)
        {
            await hold;
        }

        if (FailCommitTimes > 0)
        {
            FailCommitTimes--;
            throw new IOException($"{ResourceName}: connection lost during COMMIT PREPARED");
        }

        return await _database.CommitPreparedAsync(globalId, cancellationToken);
    }

    public async ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken)
    {
        RolledBack = true;
        await _database.RollbackPreparedAsync(globalId, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        if (ThrowOnDispose)
        {
            throw new InvalidOperationException("the connection broke while it was being returned");
        }

        return ValueTask.CompletedTask;
    }
}
