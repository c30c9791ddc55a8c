namespace DataPatterns.Transactions.Tests;

/// <summary>An in-memory resource: committed balances, prepared branches by global id, and a switch to take it "down".</summary>
internal sealed class FakeDatabase(string name, TimeProvider time) : ITransactionResource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _balances = [];
    private readonly Dictionary<string, (Dictionary<string, long> Changes, DateTimeOffset PreparedAt)> _prepared = [];

    public string Name { get; } = name;

    public bool Down { get; set; }

    public int CommitPreparedCalls { get; private set; }

    public long this[string key]
    {
        get
        {
            lock (_gate)
            {
                return _balances.GetValueOrDefault(key);
            }
        }

        set
        {
            lock (_gate)
            {
                _balances[key] = value;
            }
        }
    }

    public long Total
    {
        get
        {
            lock (_gate)
            {
                return _balances.Values.Sum();
            }
        }
    }

    public IReadOnlyCollection<string> PreparedIds
    {
        get
        {
            lock (_gate)
            {
                return _prepared.Keys.ToArray();
            }
        }
    }

    public FakeBranch Begin(DistributedTransaction transaction, string key, long delta)
    {
        var branch = new FakeBranch(this, key, delta);
        transaction.Enlist(branch);
        return branch;
    }

    public ValueTask ValidateAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<IReadOnlyList<InDoubtBranch>> GetInDoubtBranchesAsync(string globalIdPrefix, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<InDoubtBranch>>(
                _prepared.Where(p => p.Key.StartsWith(globalIdPrefix, StringComparison.Ordinal)).Select(p => new InDoubtBranch(p.Key, p.Value.PreparedAt)).ToArray());
        }
    }

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_gate)
        {
            CommitPreparedCalls++;
            if (!_prepared.Remove(globalId, out var prepared))
            {
                return ValueTask.FromResult(BranchCompletion.NotFound);
            }

            Apply(prepared.Changes);
            return ValueTask.FromResult(BranchCompletion.Completed);
        }
    }

    public ValueTask<BranchCompletion> RollbackPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        lock (_gate)
        {
            return ValueTask.FromResult(_prepared.Remove(globalId) ? BranchCompletion.Completed : BranchCompletion.NotFound);
        }
    }

    public void Prepare(string globalId, Dictionary<string, long> changes)
    {
        ThrowIfDown();
        lock (_gate)
        {
            _prepared[globalId] = (changes, time.GetUtcNow());
        }
    }

    public void CommitDirect(Dictionary<string, long> changes)
    {
        ThrowIfDown();
        lock (_gate)
        {
            Apply(changes);
        }
    }

    /// <summary>What an administrator running ROLLBACK PREPARED by hand would do.</summary>
    public void ForgetPrepared(string globalId)
    {
        lock (_gate)
        {
            _prepared.Remove(globalId);
        }
    }

    private void Apply(Dictionary<string, long> changes)
    {
        foreach (var (key, delta) in changes)
        {
            _balances[key] = _balances.GetValueOrDefault(key) + delta;
        }
    }

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new IOException($"The fake database '{Name}' is down.");
        }
    }
}
