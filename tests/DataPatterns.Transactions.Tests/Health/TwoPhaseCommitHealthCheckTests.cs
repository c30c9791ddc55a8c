using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace DataPatterns.Transactions.Tests.Health;

/// <summary>The coordinator's health check, read from recovery's passes; and the warning when recovery never runs.</summary>
public sealed class TwoPhaseCommitHealthCheckTests
{
    [Fact]
    public async Task Before_the_first_recovery_pass_the_coordinator_is_degraded_and_after_it_healthy()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();

        var before = await CheckAsync(bank, coordinator);
        await coordinator.RecoverAsync(CancellationToken.None);
        var after = await CheckAsync(bank, coordinator);

        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Contains("has not run yet", before.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal(0L, after.Data["in_doubt"]);
    }

    [Fact]
    public async Task A_branch_in_doubt_longer_than_allowed_makes_it_degraded_with_its_age()
    {
        var bank = new Bank();
        var crashed = bank.Coordinator(grace: TimeSpan.FromMinutes(5));
        var transaction = crashed.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await Crash.CommitUntilAsync(crashed, transaction, TransactionProtocolStep.AllPrepared);
        await using var fresh = bank.Coordinator(grace: TimeSpan.FromMinutes(5));
        bank.Time.Advance(TimeSpan.FromSeconds(30));
        await fresh.RecoverAsync(CancellationToken.None);

        var result = await CheckAsync(bank, fresh, maxInDoubtAge: TimeSpan.FromSeconds(10));

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(2L, result.Data["in_doubt"]);
        Assert.Equal(30d, result.Data["oldest_in_doubt_seconds"]);
        Assert.Contains("in doubt", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resource_recovery_could_not_ask_makes_it_degraded_naming_the_resource()
    {
        var bank = new Bank();
        await using var coordinator = bank.Coordinator();
        bank.Orders.Down = true;
        await coordinator.RecoverAsync(CancellationToken.None);

        var result = await CheckAsync(bank, coordinator);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("orders", result.Data["unreachable"]);
    }

    [Fact]
    public async Task A_failed_recovery_pass_reports_the_failure_status_until_a_pass_succeeds()
    {
        var bank = new Bank();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(bank.Time);
        services.AddTwoPhaseCommit(o =>
            {
                o.Prefix = "test";
                o.NodeId = bank.Node;
                o.RecoveryInterval = TimeSpan.FromSeconds(30);
            })
            .AddResource(bank.Payments)
            .AddResource(bank.Orders)
            .UseDecisionLog(_ => bank.Log);
        services.AddSingleton(typeof(ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
        services.AddHealthChecks().AddTwoPhaseCommitCheck(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();
        var recovery = provider.GetServices<IHostedService>().Single(s => s.GetType().Name == "TransactionRecoveryService");
        var health = provider.GetRequiredService<HealthCheckService>();
        await recovery.StartAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        bank.Log.FailReads = true;
        var failed = await AfterNextPassAsync(bank, health, HealthStatus.Unhealthy);
        bank.Log.FailReads = false;
        var recovered = await AfterNextPassAsync(bank, health, HealthStatus.Healthy);
        await recovery.StopAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Contains("the decision log cannot be read", failed.Entries["datapatterns-2pc"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, recovered.Status);
    }

    [Fact]
    public async Task Transactions_begun_with_no_recovery_pass_for_30_s_log_one_warning_naming_the_fix()
    {
        var bank = new Bank();
        var logger = new FakeLogger();
        await using var coordinator = new TwoPhaseCommitCoordinator(bank.Options(), bank.Log, [bank.Payments, bank.Orders], bank.Time, logger);
        coordinator.Begin();
        coordinator.Begin();

        bank.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(Warnings(logger));
        bank.Time.Advance(TimeSpan.FromSeconds(2));

        var warning = Assert.Single(Warnings(logger));
        Assert.Contains("recovery has not run", warning.Message, StringComparison.Ordinal);
        Assert.Contains("RunAsync", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_warning_when_a_recovery_pass_ran()
    {
        var bank = new Bank();
        var logger = new FakeLogger();
        await using var coordinator = new TwoPhaseCommitCoordinator(bank.Options(), bank.Log, [bank.Payments, bank.Orders], bank.Time, logger);
        coordinator.Begin();
        await coordinator.RecoverAsync(CancellationToken.None);

        bank.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(Warnings(logger));
    }

    private static IEnumerable<FakeLogRecord> Warnings(FakeLogger logger) =>
        logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning);

    private static async Task<HealthReport> AfterNextPassAsync(Bank bank, HealthCheckService health, HealthStatus expected)
    {
        bank.Time.Advance(TimeSpan.FromSeconds(30));
        HealthReport report = await health.CheckHealthAsync();
        for (var i = 0; i < 300 && report.Status != expected; i++)
        {
            await Task.Delay(10);
            report = await health.CheckHealthAsync();
        }

        return report;
    }

    private static Task<HealthCheckResult> CheckAsync(Bank bank, TwoPhaseCommitCoordinator coordinator, TimeSpan? maxInDoubtAge = null)
    {
        var check = new TwoPhaseCommitHealthCheck(coordinator, bank.Time, maxInDoubtAge);
        var registration = new HealthCheckRegistration("2pc", check, failureStatus: null, tags: null);
        return check.CheckHealthAsync(new HealthCheckContext { Registration = registration });
    }
}
