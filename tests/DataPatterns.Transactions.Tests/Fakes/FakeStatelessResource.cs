namespace DataPatterns.Transactions.Tests;

/// <summary>A stateless resource that always sees the same thing of every branch and records what it is asked to do.</summary>
internal sealed class FakeStatelessResource(string name, BranchObservation seen) : IStatelessResource
{
    public string Name { get; } = name;

    public FenceOutcome FenceAnswer { get; set; } = FenceOutcome.Landed;

    public int Fences { get; private set; }

    /// <summary>Listing markers fails, as a resource that stops answering mid-pass would.</summary>
    public bool MarkersFail { get; set; }

    public List<string> Completions { get; } = [];

    public ValueTask<BranchObservation> ObserveAsync(string globalId, CancellationToken cancellationToken) => ValueTask.FromResult(seen);

    public ValueTask<FenceOutcome> FenceAsync(string globalId, CancellationToken cancellationToken)
    {
        Fences++;
        return ValueTask.FromResult(FenceAnswer);
    }

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken) => Complete("commit");

    public ValueTask<BranchCompletion> RollbackPreparedAsync(string globalId, CancellationToken cancellationToken) => Complete("rollback");

    public ValueTask ValidateAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<IReadOnlyList<InDoubtBranch>> GetInDoubtBranchesAsync(string globalIdPrefix, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<InDoubtBranch>>([]);

    public ValueTask<IReadOnlyList<string>> GetMarkersAsync(string globalIdPrefix, bool fenced, TimeSpan olderThan, int limit, CancellationToken cancellationToken) =>
        MarkersFail
            ? ValueTask.FromException<IReadOnlyList<string>>(new IOException($"{Name}: injected failure while listing markers"))
            : ValueTask.FromResult<IReadOnlyList<string>>([]);

    public ValueTask<int> DeleteMarkersAsync(IReadOnlyCollection<string> globalIds, CancellationToken cancellationToken) => ValueTask.FromResult(0);

    private ValueTask<BranchCompletion> Complete(string what)
    {
        Completions.Add(what);
        return ValueTask.FromResult(BranchCompletion.Completed);
    }
}
