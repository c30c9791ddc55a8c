using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace DataPatterns.Cqrs.Tests;

/// <summary>Commands dispatched with projections registered and no host running the projection runner: one warning.</summary>
public sealed class RunnerStartWarningTests
{
    [Fact]
    public async Task Dispatching_with_no_runner_started_for_30_s_logs_one_warning_naming_the_fix()
    {
        await using var harness = new RunnerHarness(new ItemsProjection(), extra: s => s.AddLogging(l => l.AddFakeLogging()));
        Dispatch(harness);
        Dispatch(harness);

        harness.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(Warnings(harness));
        harness.Time.Advance(TimeSpan.FromSeconds(2));

        var warning = Assert.Single(Warnings(harness));
        Assert.Contains("projection runner has not started", warning.Message, StringComparison.Ordinal);
        Assert.Contains("RunAsync", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_warning_when_the_host_started_the_runner()
    {
        await using var harness = new RunnerHarness(new ItemsProjection(), extra: s => s.AddLogging(l => l.AddFakeLogging()));
        await harness.StartAsync();
        Dispatch(harness);

        harness.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(Warnings(harness));
    }

    private static void Dispatch(RunnerHarness harness)
    {
        using var scope = harness.Services.CreateScope();
        Assert.NotNull(scope.ServiceProvider.GetRequiredService<IDispatcher>());
    }

    private static IEnumerable<FakeLogRecord> Warnings(RunnerHarness harness) =>
        harness.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 5010);
}
