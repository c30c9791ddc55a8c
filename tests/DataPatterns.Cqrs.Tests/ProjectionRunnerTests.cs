using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Cqrs.Tests;

public sealed class ProjectionRunnerTests
{
    [Fact]
    public async Task Applies_every_handled_event_once_in_order_and_skips_other_types()
    {
        await using var harness = new RunnerHarness(new ItemsProjection());
        for (var i = 0; i < 95; i++)
        {
            harness.Source.Append(i % 5 == 0 ? "other" : "item", "s", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await harness.StartAsync();
        await RunnerHarness.WaitUntilAsync(() => harness.Store.Checkpoint == new EventPosition(0, 95), "the checkpoint reaches the last event");

        Assert.Equal(76, harness.Store.Applied.Count);
        Assert.Equal(harness.Store.Applied.OrderBy(e => e.Position), harness.Store.Applied);
        Assert.All(harness.Store.Applied, e => Assert.Equal("item", e.EventType));
        Assert.Empty(harness.Store.DeadLetters);
    }

    [Fact]
    public async Task A_poison_event_is_parked_and_the_projection_continues_past_it_when_configured_to()
    {
        await using var harness = new RunnerHarness(new ItemsProjection(), o => o.PoisonEventPolicy = PoisonEventPolicy.ParkAndContinue);
        for (var i = 0; i < 25; i++)
        {
            harness.Source.Append("item", "s", i == 12 ? "poison" : "ok");
        }

        await harness.StartAsync();
        await RunnerHarness.WaitUntilAsync(() => harness.Store.Checkpoint == new EventPosition(0, 25), "the checkpoint passes the poison event");

        var letter = Assert.Single(harness.Store.DeadLetters);
        Assert.Equal(new EventPosition(0, 13), letter.Event.Position);
        Assert.Contains("poison", letter.Error, StringComparison.Ordinal);
        Assert.Equal(3, letter.Attempts);
        Assert.Equal(24, harness.Store.Applied.Count);
        Assert.DoesNotContain(harness.Store.Applied, e => e.Payload == "poison");
        var status = harness.Monitor.Find("items")!;
        Assert.Equal(1, status.DeadLettered);
        Assert.Equal(ProjectionRole.Leader, status.Role);
    }

    [Fact]
    public async Task A_poison_event_stops_the_projection_before_it_when_configured_to_stop()
    {
        await using var harness = new RunnerHarness(new ItemsProjection(), o => o.PoisonEventPolicy = PoisonEventPolicy.ParkAndStop);
        for (var i = 0; i < 25; i++)
        {
            harness.Source.Append("item", "s", i == 12 ? "poison" : "ok");
        }

        await harness.StartAsync();
        await RunnerHarness.WaitUntilAsync(() => harness.Monitor.Find("items")?.Role == ProjectionRole.Stopped, "the projection stops");

        Assert.Single(harness.Store.DeadLetters);
        Assert.Equal(new EventPosition(0, 12), harness.Store.Checkpoint);
        Assert.Equal(12, harness.Store.Applied.Count);
        var health = await new ProjectionLagHealthCheck(harness.Monitor, Microsoft.Extensions.Options.Options.Create(new ProjectionHealthOptions()))
            .CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, health.Status);
        Assert.Contains("poison", health.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transient_store_failures_are_retried_without_counting_against_the_event()
    {
        var store = new InMemoryStore();
        for (var i = 0; i < 10; i++)
        {
            store.TransientFailures.Enqueue(new TimeoutException("read-model database unreachable"));
        }

        await using var harness = new RunnerHarness(new ItemsProjection(), o => o.MaxAttempts = 2, store);
        for (var i = 0; i < 30; i++)
        {
            harness.Source.Append("item", "s", "ok");
        }

        await harness.StartAsync();
        await RunnerHarness.WaitUntilAsync(() => harness.Store.Checkpoint == new EventPosition(0, 30), "every event is applied");

        Assert.Empty(harness.Store.DeadLetters);
        Assert.Equal(30, harness.Store.Applied.Count);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), harness.Store.Applied.Select(e => e.Position.Sequence));
    }

    [Fact]
    public async Task A_standby_instance_applies_nothing_while_another_holds_the_lease()
    {
        var store = new InMemoryStore { LeaseHolder = "someone-else", Token = 7 };
        await using var harness = new RunnerHarness(new ItemsProjection(), store: store);
        harness.Source.Append("item", "s", "ok");

        await harness.StartAsync();
        await RunnerHarness.WaitUntilAsync(() => harness.Monitor.Find("items")?.Role == ProjectionRole.Standby, "the instance is standby");

        Assert.Empty(harness.Store.Applied);
        var check = (ProjectionLagHealthCheck)harness.Services.GetService(typeof(ProjectionLagHealthCheck))!;
        var health = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, health.Status);
    }

    [Fact]
    public async Task Lag_is_reported_and_the_health_check_turns_degraded_past_the_limit_because_behind_is_busy_not_broken()
    {
        var store = new InMemoryStore();
        await using var harness = new RunnerHarness(new ItemsProjection(), store: store);
        for (var i = 0; i < 20; i++)
        {
            harness.Source.Append("item", "s", "poison");
        }

        // Every event is poison and back-off is zero, but MaxAttempts is 3: the runner stays busy; we only look at lag
        // through the monitor, reported after the first probe.
        await harness.StartAsync();
        await RunnerHarness.WaitUntilAsync(() => harness.Monitor.Find("items")?.LagMeasuredAt is not null, "lag is measured");
        await RunnerHarness.WaitUntilAsync(() => harness.Store.Checkpoint == new EventPosition(0, 20), "all are parked");
        Assert.Equal(20, harness.Store.DeadLetters.Count);

        var check = new ProjectionLagHealthCheck(
            new FixedMonitor(new ProjectionStatus("items", ProjectionRole.Leader, 1, default, null, 50, 120, DateTimeOffset.UnixEpoch, 0, null)),
            Microsoft.Extensions.Options.Options.Create(new ProjectionHealthOptions { MaxEventsBehind = 10, MaxTimeBehind = TimeSpan.FromSeconds(60) }));
        var result = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, result.Status);
        Assert.Contains("50 events behind", result.Description, StringComparison.Ordinal);
        Assert.Contains("120 s behind", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_check_registered_in_one_call_reports_a_stopped_projection_with_its_failure_status_and_tags()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
        services.AddSingleton<IProjectionMonitor>(new FixedMonitor(new ProjectionStatus("items", ProjectionRole.Stopped, 1, default, null, 0, 0, DateTimeOffset.UnixEpoch, 3, "poison")));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new ProjectionHealthOptions()));
        services.AddSingleton<ProjectionLagHealthCheck>();
        services.AddHealthChecks().AddProjectionsCheck(failureStatus: Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));

        var entry = Assert.Single(report.Entries);
        Assert.Equal("datapatterns-projections", entry.Key);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, entry.Value.Status);
        Assert.Contains("stopped after a poison event", entry.Value.Description, StringComparison.Ordinal);
    }

    private sealed class FixedMonitor(ProjectionStatus status) : IProjectionMonitor
    {
        public IReadOnlyList<ProjectionStatus> GetAll() => [status];

        public ProjectionStatus? Find(string projectionName) => projectionName == status.Name ? status : null;
    }
}
