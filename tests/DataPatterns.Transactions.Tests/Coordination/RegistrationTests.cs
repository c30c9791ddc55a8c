using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataPatterns.Transactions.Tests.Coordination;

public sealed class RegistrationTests
{
    [Fact]
    public async Task AddTwoPhaseCommit_registers_the_coordinator_its_resources_and_recovery()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dp-di-{Guid.NewGuid():N}.log");
        var bank = new Bank();
        var services = new ServiceCollection().AddLogging();
        services.AddTwoPhaseCommit(o => { o.Prefix = "di"; o.NodeId = "n1"; o.DecisionLogPath = path; })
            .AddResource(bank.Payments)
            .AddResource(_ => bank.Orders);
        try
        {
            await using (var provider = services.BuildServiceProvider())
            {
                provider.GetRequiredService<IStartupValidator>().Validate();
                var coordinator = provider.GetRequiredService<TwoPhaseCommitCoordinator>();
                Assert.Equal("di:n1:", coordinator.GlobalIdPrefix);
                Assert.Same(bank.Orders, coordinator.GetResource("orders"));
                Assert.IsType<FileDecisionLog>(provider.GetRequiredService<IDecisionLog>());
                Assert.Contains(provider.GetServices<IHostedService>(), s => s.GetType().Name == "TransactionRecoveryService");
                var missing = Assert.Throws<KeyNotFoundException>(() => coordinator.GetResource("inventory"));
                Assert.Contains("payments", missing.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invalid_options_fail_at_start_up_with_the_setting_named()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddTwoPhaseCommit(o => { o.NodeId = "has space"; o.TransactionTimeout = TimeSpan.Zero; });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("TwoPhaseCommitOptions.NodeId", error.Message, StringComparison.Ordinal);
        Assert.Contains("TwoPhaseCommitOptions.TransactionTimeout", error.Message, StringComparison.Ordinal);
    }
}
