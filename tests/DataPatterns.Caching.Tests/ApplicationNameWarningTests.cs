using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>Two applications that keep the default ApplicationName on one shared store read and clear each other's entries.</summary>
public class ApplicationNameWarningTests
{
    internal const int EventId = 1015;

    [Fact]
    public async Task A_shared_distributed_level_under_the_default_application_name_is_warned_about_at_start()
    {
        var records = await StartAsync(services =>
        {
            services.AddSingleton<IDistributedCache>(new FakeDistributedCache(TimeProvider.System));
            services.AddCaching().UseDistributedCache().AddCache<int, string>("items");
        });

        var warning = Assert.Single(records, r => r.Id.Id == EventId);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("ApplicationName", warning.Message, StringComparison.Ordinal);
        Assert.Contains("'datapatterns'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("o.ApplicationName =", warning.Message, StringComparison.Ordinal); // the fix
    }

    [Fact]
    public async Task An_application_with_its_own_name_is_not_warned_about()
    {
        var records = await StartAsync(services =>
        {
            services.AddSingleton<IDistributedCache>(new FakeDistributedCache(TimeProvider.System));
            services.AddCaching(c => c.Configure(o => o.ApplicationName = "orders-service")).UseDistributedCache().AddCache<int, string>("items");
        });

        Assert.DoesNotContain(records, r => r.Id.Id == EventId);
    }

    [Fact]
    public async Task Memory_only_caches_share_nothing_and_are_not_warned_about()
    {
        var records = await StartAsync(services => services.AddCaching().AddCache<int, string>("items"));

        Assert.DoesNotContain(records, r => r.Id.Id == EventId);
    }

    /// <summary>Starts the package's hosted services as the host does, and returns what was logged.</summary>
    internal static async Task<IReadOnlyList<FakeLogRecord>> StartAsync(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddFakeLogging());
        configure(services);
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
            await hosted.StopAsync(CancellationToken.None);
        }

        return provider.GetFakeLogCollector().GetSnapshot();
    }
}
