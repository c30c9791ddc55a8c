using DataPatterns.EntityFrameworkCore.Sharding;
using DataPatterns.Sharding;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.EntityFrameworkCore.Tests.Sharding;

/// <summary>A context from the factory connects to the shard the shard set's own resolver names for the key.</summary>
public sealed class ShardedDbContextFactoryTests(ThreeShardsFixture fixture) : IClassFixture<ThreeShardsFixture>
{
    private ShardSetup Setup => fixture.Setup;

    [Property(MaxTest = 500)]
    public bool The_factory_picks_the_shard_the_sharding_core_resolves(long key) =>
        ReferenceEquals(Setup.Factory.ShardFor(key), Setup.Resolver.Resolve(key));

    [Fact]
    public async Task Rows_saved_through_a_context_for_a_key_land_on_the_server_the_resolver_names()
    {
        var orders = Enumerable.Range(0, 60).Select(i => new ShardOrder { Id = 1_000_000 + i, CustomerId = 7919L * i + 13, Amount = i }).ToList();
        foreach (var order in orders)
        {
            await using var context = await Setup.Factory.CreateForKeyAsync(order.CustomerId);
            context.Orders.Add(order);
            await context.SaveChangesAsync();
        }

        var expectedByShard = orders.ToLookup(o => Setup.Resolver.Resolve(o.CustomerId).Name, o => o.Id);
        Assert.All(Setup.Factory.Shards, shard => Assert.NotEmpty(expectedByShard[shard.Name])); // the keys spread over every shard
        foreach (var shard in Setup.Factory.Shards)
        {
            var onServer = (await Setup.IdsOnServerAsync(shard.Name)).Where(id => id >= 1_000_000 && id < 1_000_060);
            Assert.Equal(expectedByShard[shard.Name].Order(), onServer);
        }
    }

    [Fact]
    public async Task A_context_for_a_named_shard_reads_that_shards_database()
    {
        foreach (var shard in Setup.Factory.Shards)
        {
            await using var byName = Setup.Factory.CreateForShard(shard.Name);
            var database = byName.Database.GetDbConnection().Database;
            Assert.Equal(new Npgsql.NpgsqlConnectionStringBuilder(Setup.ConnectionStrings[shard.Name]).Database, database);
            Assert.Equal(1, await byName.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync());
        }
    }

    [Fact]
    public void Options_are_built_once_per_shard_and_reused_for_every_context()
    {
        var shard = Setup.Factory.Shards[1];
        using var first = Setup.Factory.CreateForShard(shard);
        using var second = Setup.Factory.CreateForShard(shard);
        Assert.NotSame(first, second);
        Assert.Same(Setup.Factory.Options[shard], first.GetService<IDbContextOptions>());
        Assert.Same(first.GetService<IDbContextOptions>(), second.GetService<IDbContextOptions>());
    }

    [Fact]
    public async Task A_null_key_is_refused_with_a_message_that_names_the_set()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(async () => await Setup.Factory.CreateForKeyAsync<string?>(null));
        Assert.Contains("'orders'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_of_another_type_is_refused_with_the_type_to_use()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await Setup.Factory.CreateForKeyAsync(42));
        Assert.Contains("Int64", error.Message, StringComparison.Ordinal);
        Assert.Contains("Int32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_shard_name_is_refused_with_the_names_there_are()
    {
        var error = Assert.Throws<ShardNotFoundException>(() => Setup.Factory.CreateForShard("node9"));
        Assert.Contains("node9", error.Message, StringComparison.Ordinal);
        Assert.Contains("node2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shard_of_another_set_is_refused()
    {
        var services = new ServiceCollection();
        services.AddSharding(s => s.AddShardSet<long>("customers", o => o.AddShard("a").AddShard("b").AddShard("c")));
        using var provider = services.BuildServiceProvider();
        var foreign = provider.GetRequiredService<ShardSets>().Resolver<long>("customers").Shards[0];
        var error = Assert.Throws<ShardSetMismatchException>(() => Setup.Factory.CreateForShard(foreign));
        Assert.Contains("customers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_that_chooses_no_provider_fails_naming_the_shard_and_the_fix()
    {
        var services = new ServiceCollection();
        services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("one").AddShard("two"))
            .AddShardedDbContextFactory<ShardOrdersContext, long>((_, shard, options) =>
            {
                if (shard.Name == "one")
                {
                    options.UseNpgsql("Host=127.0.0.1");
                }
            }));
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IShardedDbContextFactory<ShardOrdersContext>>());
        Assert.Contains("'two'", error.Message, StringComparison.Ordinal);
        Assert.Contains("UseNpgsql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shard_that_cannot_be_configured_fails_at_start_up()
    {
        var services = new ServiceCollection();
        services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("one").AddShard("two"))
            .AddShardedDbContextFactory<ShardOrdersContext, long>((_, shard, options) =>
            {
                if (shard.Name == "one")
                {
                    options.UseNpgsql("Host=127.0.0.1");
                }
            }));
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate());
        Assert.Contains("'two'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_context_without_an_options_constructor_is_refused_with_the_constructor_to_add()
    {
        var services = new ServiceCollection();
        services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("one"))
            .AddShardedDbContextFactory<ContextWithoutOptions, long>((_, _, options) => options.UseNpgsql("Host=127.0.0.1")));
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IShardedDbContextFactory<ContextWithoutOptions>>());
        Assert.Contains("DbContextOptions<ContextWithoutOptions>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_factory_is_also_registered_under_the_sets_name()
    {
        Assert.Same(Setup.Factory, Setup.Services.GetRequiredKeyedService<IShardedDbContextFactory<ShardOrdersContext>>(ShardSetup.SetName));
    }

    public sealed class ContextWithoutOptions(string name) : DbContext
    {
        public string Name { get; } = name;
    }
}
