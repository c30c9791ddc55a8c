using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>Bad settings fail at start with sentences that name the setting and the fix.</summary>
public class OptionsValidationTests
{
    [Theory]
    [InlineData(new string[0], "set Servers")]
    [InlineData(new[] { "localhost" }, "not \"host:port\"")]
    [InlineData(new[] { "localhost:0" }, "port from 1 to 65535")]
    [InlineData(new[] { "a b:11211" }, "not \"host:port\"")]
    [InlineData(new[] { "h:11211", "H:11211" }, "more than once")]
    public async Task Bad_server_lists_fail_at_start(string[] servers, string expected)
    {
        var error = await StartAsync(o => o.Servers = servers);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Out_of_range_settings_fail_at_start_each_named()
    {
        var error = await StartAsync(o =>
        {
            o.Servers = ["127.0.0.1:11211"];
            o.ConnectionsPerServer = 0;
            o.CommandTimeout = TimeSpan.Zero;
            o.MaxItemSize = 10;
            o.MaxPendingPerConnection = 0;
            o.FailuresBeforeDown = 0;
            o.RetryDownServerAfter = TimeSpan.Zero;
        });

        foreach (var setting in new[] { "ConnectionsPerServer", "CommandTimeout", "MaxItemSize", "MaxPendingPerConnection", "FailuresBeforeDown", "RetryDownServerAfter" })
        {
            Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Good_settings_start_without_a_server_being_asked_anything()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCaching().UseMemcached("127.0.0.1:1");
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();
    }

    private static async Task<OptionsValidationException> StartAsync(Action<MemcachedCachingOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCaching().UseMemcached(configure);
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }
}
