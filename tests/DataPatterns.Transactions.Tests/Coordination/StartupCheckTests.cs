using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataPatterns.Transactions.Tests.Coordination;

/// <summary>
/// The defaults that can hurt are refused where they would: the default node id outside Development. The tests that read
/// DOTNET_ENVIRONMENT are in this one class, so that xUnit runs them one after the other.
/// </summary>
public sealed class StartupCheckTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void The_default_node_id_is_refused_outside_Development(string environment)
    {
        using var provider = Services(environment, nodeId: null).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("TwoPhaseCommitOptions.NodeId is the default 'node1'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"this one is '{environment}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_node_id_is_accepted_in_Development()
    {
        using var provider = Services("Development", nodeId: null).BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate(); // throws when refused
    }

    [Fact]
    public void A_node_id_of_its_own_is_accepted_in_Production()
    {
        using var provider = Services("Production", nodeId: "orders-api-1").BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void Without_a_host_environment_the_variables_a_host_would_read_decide_and_unset_means_Production()
    {
        var saved = (Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT"), Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"));
        try
        {
            Environment.SetEnvironmentVariable("DOTNET_ENVIRONMENT", null);
            Environment.SetEnvironmentVariable("ASPNETCORE_ENVIRONMENT", null);
            using (var unset = Services(environment: null, nodeId: null).BuildServiceProvider())
            {
                var error = Assert.Throws<OptionsValidationException>(() => unset.GetRequiredService<IStartupValidator>().Validate());
                Assert.Contains("this one is 'Production'", error.Message, StringComparison.Ordinal);
            }

            Environment.SetEnvironmentVariable("DOTNET_ENVIRONMENT", "Development");
            using var development = Services(environment: null, nodeId: null).BuildServiceProvider();
            development.GetRequiredService<IStartupValidator>().Validate();
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_ENVIRONMENT", saved.Item1);
            Environment.SetEnvironmentVariable("ASPNETCORE_ENVIRONMENT", saved.Item2);
        }
    }

    [Fact]
    public async Task AddTwoPhaseCommit_starts_and_recovers_without_AddLogging()
    {
        var bank = new Bank();
        var crashed = bank.Coordinator();
        var transaction = crashed.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await Crash.CommitUntilAsync(crashed, transaction, TransactionProtocolStep.DecisionLogged);
        var services = new ServiceCollection(); // no AddLogging
        services.AddTwoPhaseCommit(o => { o.Prefix = "test"; o.NodeId = bank.Node; o.RecoveryGracePeriod = TimeSpan.Zero; })
            .AddResource(bank.Payments)
            .AddResource(bank.Orders)
            .UseDecisionLog(_ => bank.Log);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var recovery = provider.GetServices<IHostedService>().Single(s => s.GetType().Name == "TransactionRecoveryService");

        await recovery.StartAsync(CancellationToken.None);
        await recovery.StopAsync(CancellationToken.None);

        Assert.Equal((-10L, 10L), (bank.Payments["alice"], bank.Orders["order-1"]));
    }

    [Fact]
    public async Task The_file_decision_log_is_created_without_AddLogging()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dp-nolog-{Guid.NewGuid():N}.log");
        var services = new ServiceCollection();
        services.AddTwoPhaseCommit(o => { o.NodeId = "n1"; o.DecisionLogPath = path; });
        try
        {
            await using var provider = services.BuildServiceProvider();
            Assert.IsType<FileDecisionLog>(provider.GetRequiredService<IDecisionLog>());
            Assert.True(File.Exists(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static ServiceCollection Services(string? environment, string? nodeId)
    {
        var services = new ServiceCollection();
        if (environment is not null)
        {
            services.AddSingleton<IHostEnvironment>(new HostEnvironment(environment));
        }

        services.AddTwoPhaseCommit(o =>
        {
            o.NodeId = nodeId ?? o.NodeId;
            o.DecisionLogPath = Path.Combine(Path.GetTempPath(), $"dp-env-{Guid.NewGuid():N}.log");
        });
        return services;
    }

    private sealed class HostEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
