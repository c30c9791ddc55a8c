using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>UseRedis under the shared default ApplicationName: every application on that Redis would share keys.</summary>
public class ApplicationNameWarningTests
{
    private const int DefaultApplicationNameEventId = 1015;

    [Fact]
    public async Task Redis_under_the_default_application_name_is_warned_about_at_start_naming_the_option_and_the_fix()
    {
        var records = await StartAsync(configureName: null);

        var warning = Assert.Single(records, r => r.Id.Id == DefaultApplicationNameEventId);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("DataPatterns.Caching", warning.Category);
        Assert.Contains("ApplicationName", warning.Message, StringComparison.Ordinal);
        Assert.Contains("o.ApplicationName =", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redis_under_the_applications_own_name_is_not_warned_about()
    {
        var records = await StartAsync(configureName: RedisInstance.NewApplication());

        Assert.DoesNotContain(records, r => r.Id.Id == DefaultApplicationNameEventId);
    }

    private static async Task<IReadOnlyList<FakeLogRecord>> StartAsync(string? configureName)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddFakeLogging());
        var caching = services.AddCaching();
        if (configureName is not null)
        {
            caching.Configure(o => o.ApplicationName = configureName);
        }

        caching.UseRedis(TestServers.Redis.ConnectionString).AddCache<int, string>("items", o => o.WriteStrategy = CacheWriteStrategy.CacheOnly);
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
            await hosted.StopAsync(CancellationToken.None);
        }

        return provider.GetFakeLogCollector().GetSnapshot();
    }
}
