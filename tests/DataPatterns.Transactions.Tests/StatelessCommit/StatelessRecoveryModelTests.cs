using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Transactions.Tests.StatelessCommit;

/// <summary>
/// The recovery rule of stateless two-phase commit against every interleaving FsCheck can find of one coordinator (which
/// may crash at any step), two recovery instances (which may die and start over), server-side session ends and marker
/// deletions under the retention rules: every transaction ends committed everywhere or nowhere, a caller told
/// "committed" is never rolled back, and nothing stays prepared. Two scripted runs show each deletion rule is needed.
/// </summary>
public sealed class StatelessRecoveryModelTests
{
    [Property(MaxTest = 10_000)]
    public Property Any_interleaving_ends_all_or_nothing_and_keeps_the_callers_commit(PositiveInt participants, DoNotSize<int> seed)
    {
        var model = new StatelessCommitModel((participants.Get % 3) + 2, StatelessCommitModel.MarkerRules.Safe);
        // The schedule comes from the seed: FsCheck's own integers are small and would leave most orders untried.
        var random = new Random(seed.Item);
        for (var step = random.Next(10, 400); step > 0 && model.Step(random.Next()); step--)
        {
        }

        model.Settle();
        var violation = model.Violation();
        return (violation is null).Label(violation ?? "ok");
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void The_same_random_search_finds_the_broken_outcome_when_a_retention_rule_is_off(bool keepCommitted, bool keepFences)
    {
        // The property above is only as good as its search: with either rule off, the same schedules must find a
        // mixed outcome or a broken promise quickly (a few hundred runs), or the model has lost its teeth.
        var rules = new StatelessCommitModel.MarkerRules(keepCommitted, keepFences);
        var found = Enumerable.Range(0, 20_000).Select(seed =>
        {
            var model = new StatelessCommitModel((seed % 3) + 2, rules);
            var random = new Random(seed);
            for (var step = random.Next(10, 400); step > 0 && model.Step(random.Next()); step--)
            {
            }

            model.Settle();
            return model.Violation();
        }).FirstOrDefault(v => v is not null);

        Assert.NotNull(found);
    }

    [Fact]
    public void Deleting_a_committed_marker_while_a_branch_is_still_prepared_turns_a_commit_into_an_abort()
    {
        var model = new StatelessCommitModel(2, new StatelessCommitModel.MarkerRules(KeepCommittedWhilePrepared: false, KeepFencesWhileCoordinatorVotes: true), recoveries: 1);

        // insert p0, prepare p0, insert p1, prepare p1 (all voted: the caller hears "committed"), commit p0, crash.
        model.Script("insert 0", "prepare 0", "insert 1", "prepare 1", "commit 0", "crash", "delete committed 0");

        model.Settle();
        Assert.True(model.ToldCommitted);
        Assert.Contains("mixed outcome", model.Violation(), StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_a_fence_while_the_coordinator_can_still_prepare_lets_it_tell_a_caller_committed_after_an_abort()
    {
        var model = new StatelessCommitModel(2, new StatelessCommitModel.MarkerRules(KeepCommittedWhilePrepared: true, KeepFencesWhileCoordinatorVotes: false), recoveries: 1);

        // p0 prepares; a recovery sees p1 absent, fences it, rolls p0 back; the fence is deleted; the coordinator, still
        // voting, prepares p1 and tells the caller "committed".
        model.Script("insert 0", "prepare 0", "recover", "delete fence 1", "insert 1", "prepare 1");

        Assert.True(model.ToldCommitted);
        model.Settle();
        Assert.NotNull(model.Violation());
    }

    [Fact]
    public void With_the_retention_rules_the_same_two_runs_cannot_delete_the_markers()
    {
        var first = new StatelessCommitModel(2, StatelessCommitModel.MarkerRules.Safe, recoveries: 1);
        first.Script("insert 0", "prepare 0", "insert 1", "prepare 1", "commit 0", "crash");
        Assert.False(first.CanDelete(0));

        var second = new StatelessCommitModel(2, StatelessCommitModel.MarkerRules.Safe, recoveries: 1);
        second.Script("insert 0", "prepare 0", "recover");
        Assert.False(second.CanDelete(1));
        second.Settle();
        Assert.Null(second.Violation());
    }

    [Theory]
    [InlineData(new[] { BranchObservation.Prepared, BranchObservation.Prepared }, StatelessRecoveryVerdict.Commit)]
    [InlineData(new[] { BranchObservation.Committed, BranchObservation.Prepared }, StatelessRecoveryVerdict.Commit)]
    [InlineData(new[] { BranchObservation.Committed, BranchObservation.Absent }, StatelessRecoveryVerdict.Commit)]
    [InlineData(new[] { BranchObservation.Committed, BranchObservation.Fenced }, StatelessRecoveryVerdict.Commit)]
    [InlineData(new[] { BranchObservation.Prepared, BranchObservation.Fenced }, StatelessRecoveryVerdict.Abort)]
    [InlineData(new[] { BranchObservation.Absent, BranchObservation.Fenced }, StatelessRecoveryVerdict.Abort)]
    [InlineData(new[] { BranchObservation.Prepared, BranchObservation.Absent }, StatelessRecoveryVerdict.FenceAbsent)]
    [InlineData(new[] { BranchObservation.Absent, BranchObservation.Absent }, StatelessRecoveryVerdict.FenceAbsent)]
    internal void The_rule_for_each_kind_of_look(BranchObservation[] seen, StatelessRecoveryVerdict expected) =>
        Assert.Equal(expected, StatelessRecoveryDecision.Decide(seen));
}
