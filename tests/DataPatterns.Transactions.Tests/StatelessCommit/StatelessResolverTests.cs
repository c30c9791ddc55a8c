namespace DataPatterns.Transactions.Tests.StatelessCommit;

public sealed class StatelessResolverTests
{
    [Fact]
    public async Task Every_branch_prepared_commits_every_one()
    {
        var (resources, ids) = Participants(BranchObservation.Prepared, BranchObservation.Prepared);

        Assert.Equal(StatelessOutcome.Committed, await StatelessResolver.ResolveAsync(resources, ids, 3, CancellationToken.None));
        Assert.All(resources, r => Assert.Equal(["commit"], r.Completions));
    }

    [Fact]
    public async Task An_absent_branch_is_fenced_and_the_prepared_ones_are_rolled_back()
    {
        var (resources, ids) = Participants(BranchObservation.Prepared, BranchObservation.Absent);

        Assert.Equal(StatelessOutcome.Aborted, await StatelessResolver.ResolveAsync(resources, ids, 3, CancellationToken.None));
        Assert.Equal(1, resources[1].Fences);
        Assert.All(resources, r => Assert.Equal(["rollback"], r.Completions));
    }

    [Fact]
    public async Task A_fence_that_keeps_meeting_a_running_branch_leaves_the_transaction_pending_and_untouched()
    {
        var (resources, ids) = Participants(BranchObservation.Prepared, BranchObservation.Absent);
        resources[1].FenceAnswer = FenceOutcome.Blocked;

        Assert.Equal(StatelessOutcome.Pending, await StatelessResolver.ResolveAsync(resources, ids, 3, CancellationToken.None));
        Assert.Equal(3, resources[1].Fences);
        Assert.All(resources, r => Assert.Empty(r.Completions));
    }

    [Fact]
    public async Task A_committed_marker_anywhere_commits_even_when_another_branch_looks_absent()
    {
        var (resources, ids) = Participants(BranchObservation.Committed, BranchObservation.Absent);

        Assert.Equal(StatelessOutcome.Committed, await StatelessResolver.ResolveAsync(resources, ids, 1, CancellationToken.None));
        Assert.Equal(0, resources[1].Fences);
    }

    private static (FakeStatelessResource[] Resources, IReadOnlyList<string> Ids) Participants(params BranchObservation[] seen)
    {
        var resources = seen.Select((s, i) => new FakeStatelessResource("r" + i, s)).ToArray();
        return (resources, StatelessGlobalId.Format("test", Guid.NewGuid(), resources.Select(r => r.Name).ToArray()));
    }
}
