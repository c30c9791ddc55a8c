using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPatterns.Transactions.Tests.StatelessCommit;

/// <summary>Stateless commit's set-up: no decision log, no node id, and refusals that say what to change.</summary>
public sealed class StatelessRegistrationTests
{
    [Fact]
    public async Task UseStatelessCommit_needs_no_node_id_and_writes_no_decision_log()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dp-stateless-{Guid.NewGuid():N}.log");
        var services = new ServiceCollection().AddLogging();
        services.AddTwoPhaseCommit(o => { o.Prefix = "di"; o.DecisionLogPath = path; })
            .AddResource(new FakeStatelessResource("payments", BranchObservation.Absent))
            .AddResource(new FakeStatelessResource("orders", BranchObservation.Absent))
            .UseStatelessCommit();
        await using var provider = services.BuildServiceProvider();

        // Outside Development (no host, no environment variable: Production), the default node id is fine here.
        provider.GetRequiredService<IStartupValidator>().Validate();
        var coordinator = provider.GetRequiredService<TwoPhaseCommitCoordinator>();

        Assert.True(coordinator.Options.StatelessCommit);
        Assert.Equal("di:~:", coordinator.GlobalIdPrefix);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_resource_that_cannot_hold_markers_is_refused_with_the_fix()
    {
        var options = new TwoPhaseCommitOptions { StatelessCommit = true };

        var error = Assert.Throws<ArgumentException>(() => new TwoPhaseCommitCoordinator(options, decisionLog: null, [new FakeDatabase("legacy", TimeProvider.System)]));

        Assert.Contains("'legacy'", error.Message, StringComparison.Ordinal);
        Assert.Contains("IStatelessResource", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_stateless_commit_a_decision_log_is_still_required()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new TwoPhaseCommitCoordinator(new TwoPhaseCommitOptions(), decisionLog: null));

        Assert.Contains("StatelessCommit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_participant_that_cannot_prepare_with_a_marker_is_refused_at_enlistment()
    {
        var payments = new FakeStatelessResource("payments", BranchObservation.Absent);
        await using var coordinator = new TwoPhaseCommitCoordinator(new TwoPhaseCommitOptions { StatelessCommit = true }, decisionLog: null, [payments]);
        await using var transaction = coordinator.Begin();
        await using var branch = new FakeBranch(new FakeDatabase("payments", TimeProvider.System), "a", 1);

        var error = Assert.Throws<ArgumentException>(() => transaction.Enlist(branch));

        Assert.Contains("IStatelessParticipant", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 1440, "StatelessCommit and LastResourceCommit")]
    [InlineData(false, 5, "FenceRetention")]
    public void Conflicting_or_unsafe_settings_are_refused_at_start_up(bool lastResource, int fenceRetentionMinutes, string named)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddTwoPhaseCommit(o =>
        {
            o.StatelessCommit = true;
            o.LastResourceCommit = lastResource;
            o.FenceRetention = TimeSpan.FromMinutes(fenceRetentionMinutes);
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resource_failing_during_the_marker_clean_up_does_not_fail_the_recovery_pass()
    {
        var payments = new FakeStatelessResource("payments", BranchObservation.Absent) { MarkersFail = true };
        await using var coordinator = new TwoPhaseCommitCoordinator(new TwoPhaseCommitOptions { StatelessCommit = true }, decisionLog: null, [payments]);

        var result = await coordinator.RecoverAsync(CancellationToken.None);

        Assert.Equal(0, result.Forgotten);
        Assert.Empty(result.UnreachableResources);
    }
}
