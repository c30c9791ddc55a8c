using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataPatterns.Transactions.Tests.Recovery;

public sealed class RecoveryServiceTests
{
    [Fact]
    public async Task The_hosted_service_recovers_at_start_up_and_then_every_interval()
    {
        var bank = new Bank();
        var crashed = bank.Coordinator();
        var first = crashed.Begin();
        bank.Payments.Begin(first, "alice", -10);
        bank.Orders.Begin(first, "order-1", 10);
        await Crash.CommitUntilAsync(crashed, first, TransactionProtocolStep.DecisionLogged);

        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<TimeProvider>(bank.Time);
        services.AddTwoPhaseCommit(o =>
            {
                o.Prefix = "test";
                o.NodeId = bank.Node;
                o.RecoveryGracePeriod = TimeSpan.Zero;
                o.RecoveryInterval = TimeSpan.FromSeconds(30);
            })
            .AddResource(bank.Payments)
            .AddResource(bank.Orders)
            .UseDecisionLog(_ => bank.Log);
        await using var provider = services.BuildServiceProvider();
        var recovery = provider.GetServices<IHostedService>().Single(s => s.GetType().Name == "TransactionRecoveryService");

        await recovery.StartAsync(CancellationToken.None);
        Assert.Equal((-10L, 10L), (bank.Payments["alice"], bank.Orders["order-1"]));

        // A second crash after the service started: the next periodic pass resolves it.
        var second = crashed.Begin();
        bank.Payments.Begin(second, "bob", -5);
        bank.Orders.Begin(second, "order-2", 5);
        await Crash.CommitUntilAsync(crashed, second, TransactionProtocolStep.AllPrepared);
        Assert.Single(bank.Orders.PreparedIds);
        bank.Time.Advance(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 200 && bank.Orders.PreparedIds.Count > 0; i++)
        {
            await Task.Delay(10);
        }

        await recovery.StopAsync(CancellationToken.None);
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.Equal(0, bank.Orders["order-2"]);
        Assert.Empty(bank.Log.Open);
    }
}
