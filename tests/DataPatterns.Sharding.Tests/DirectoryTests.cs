using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Sharding.Tests;

public sealed class DirectoryTests
{
    private sealed class TableSource : IShardDirectorySource<string>
    {
        public Dictionary<string, string> Rows { get; set; } = [];

        public int Loads { get; private set; }

        public ValueTask<IReadOnlyDictionary<string, string>> LoadAsync(CancellationToken cancellationToken)
        {
            Loads++;
            return ValueTask.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(Rows));
        }
    }

    private static ShardSetOptions<string> Options(ShardingStrategy? fallback = null)
    {
        var options = new ShardSetOptions<string> { Strategy = ShardingStrategy.Directory, DirectoryFallback = fallback, DirectoryRefreshInterval = TimeSpan.FromMinutes(1) };
        return options.AddShard("eu").AddShard("us").AddShard("big-tenant");
    }

    [Fact]
    public async Task A_moved_tenant_follows_the_directory_after_a_refresh_without_a_restart()
    {
        var source = new TableSource { Rows = { ["acme"] = "eu", ["globex"] = "us" } };
        var resolver = (DirectoryShardResolver<string>)ShardResolverFactory.Create("tenants", Options(), source);
        await resolver.RefreshAsync();
        Assert.Equal("eu", resolver.Resolve("acme").Name);

        source.Rows["acme"] = "big-tenant";
        await resolver.RefreshAsync();

        Assert.Equal("big-tenant", resolver.Resolve("acme").Name);
        Assert.Equal("us", resolver.Resolve("globex").Name);
    }

    [Fact]
    public async Task A_directory_row_naming_an_unknown_shard_is_refused_and_the_old_table_stays()
    {
        var source = new TableSource { Rows = { ["acme"] = "eu" } };
        var resolver = (DirectoryShardResolver<string>)ShardResolverFactory.Create("tenants", Options(), source);
        await resolver.RefreshAsync();

        source.Rows["acme"] = "mars";
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => resolver.RefreshAsync());

        Assert.Contains("maps 'acme' to shard 'mars'", error.Message, StringComparison.Ordinal);
        Assert.Equal("eu", resolver.Resolve("acme").Name);
    }

    [Fact]
    public async Task An_unlisted_key_fails_clearly_or_goes_to_the_fallback_strategy()
    {
        var source = new TableSource { Rows = { ["acme"] = "eu" } };
        var strict = (DirectoryShardResolver<string>)ShardResolverFactory.Create("tenants", Options(), source);
        await strict.RefreshAsync();
        Assert.Contains("not in the directory", Assert.Throws<ShardNotFoundException>(() => strict.Resolve("initech")).Message, StringComparison.Ordinal);

        var lenient = (DirectoryShardResolver<string>)ShardResolverFactory.Create("tenants", Options(ShardingStrategy.Rendezvous), source);
        await lenient.RefreshAsync();
        Assert.Equal(lenient.Resolve("initech").Name, lenient.Resolve("initech").Name);
    }

    [Fact]
    public void Resolving_before_the_first_load_says_to_load_first()
    {
        var resolver = ShardResolverFactory.Create("tenants", Options(), new TableSource());
        Assert.Contains("has not been loaded yet", Assert.Throws<InvalidOperationException>(() => resolver.Resolve("acme")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_loads_the_directory_at_start_and_reloads_it_on_the_interval()
    {
        var clock = new FakeTimeProvider();
        var source = new TableSource { Rows = { ["acme"] = "eu" } };
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSharding(s => s.AddShardSet<string>("tenants", o =>
        {
            o.Strategy = ShardingStrategy.Directory;
            o.DirectoryRefreshInterval = TimeSpan.FromSeconds(30);
            o.AddShard("eu").AddShard("us");
        }).UseDirectory(_ => source));
        using var host = builder.Build();
        await host.StartAsync();
        var resolver = host.Services.GetRequiredKeyedService<ShardResolver<string>>("tenants");
        Assert.Equal("eu", resolver.Resolve("acme").Name);

        source.Rows["acme"] = "us";
        clock.Advance(TimeSpan.FromSeconds(31));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (resolver.Resolve("acme").Name != "us" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal("us", resolver.Resolve("acme").Name);
        Assert.True(source.Loads >= 2);
        await host.StopAsync();
    }
}
