using DataPatterns.EntityFrameworkCore.Sharding;
using DataPatterns.Sharding;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.EntityFrameworkCore.Tests.Sharding;

/// <summary><c>MigrateAllShardsAsync</c> on fresh databases of the three shared servers.</summary>
public sealed class ShardMigrationTests : IAsyncLifetime
{
    private readonly List<TemporaryDatabase> _databases = [];
    private ShardSetup _setup = null!;

    public async Task InitializeAsync()
    {
        foreach (var server in new[] { TestServers.Primary, TestServers.Node2, TestServers.Node3 })
        {
            _databases.Add(await TemporaryDatabase.CreateAsync(server, "efmigrate"));
        }

        _setup = ShardSetup.Create(_databases);
    }

    public async Task DisposeAsync()
    {
        await _setup.DisposeAsync();
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Fresh_shards_get_every_migration_recorded_once_in_their_own_history()
    {
        var report = await _setup.Factory.MigrateAllShardsAsync();

        Assert.True(report.Succeeded);
        Assert.Equal(["primary", "node2", "node3"], report.Shards.Select(s => s.Shard.Name));
        foreach (var shard in report.Shards)
        {
            Assert.Empty(shard.AlreadyApplied!);
            Assert.Equal([ShardOrdersContext.CreateOrders, ShardOrdersContext.AddNote], shard.Applied);
            Assert.Null(shard.Error);
            Assert.Equal([ShardOrdersContext.CreateOrders, ShardOrdersContext.AddNote], await _setup.HistoryOnServerAsync(shard.Shard.Name));
        }
    }

    [Fact]
    public async Task A_second_run_applies_nothing()
    {
        await _setup.Factory.MigrateAllShardsAsync();

        var again = await _setup.Factory.MigrateAllShardsAsync();

        Assert.All(again.Shards, shard => Assert.Empty(shard.Applied));
        Assert.All(again.Shards, shard => Assert.Equal(2, shard.AlreadyApplied!.Count));
        foreach (var shard in again.Shards)
        {
            Assert.Equal(2, (await _setup.HistoryOnServerAsync(shard.Shard.Name)).Count);
        }
    }

    [Fact]
    public async Task A_target_migration_stops_there_and_the_next_run_applies_only_the_rest()
    {
        var first = await _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { TargetMigration = ShardOrdersContext.CreateOrders, MaxParallelism = 1 });
        var rest = await _setup.Factory.MigrateAllShardsAsync();
        var back = await _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { TargetMigration = ShardOrdersContext.CreateOrders });

        Assert.All(first.Shards, shard => Assert.Equal([ShardOrdersContext.CreateOrders], shard.Applied));
        Assert.All(rest.Shards, shard => Assert.Equal([ShardOrdersContext.AddNote], shard.Applied));
        Assert.All(back.Shards, shard => Assert.Equal([ShardOrdersContext.AddNote], shard.Reverted));
        Assert.Contains("node3: ok (nothing applied; reverted " + ShardOrdersContext.AddNote, back.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_listed_shards_are_migrated()
    {
        var node2 = _setup.Resolver.GetShard("node2");

        var report = await _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { Shards = [node2] });

        Assert.Equal([node2], report.Shards.Select(s => s.Shard));
        Assert.Equal(2, (await _setup.HistoryOnServerAsync("node2")).Count);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => _setup.HistoryOnServerAsync("node3")); // no history table there
    }

    [Fact]
    public async Task Options_out_of_range_are_refused_with_the_setting_named()
    {
        var parallelism = await Assert.ThrowsAsync<ArgumentException>(() => _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { MaxParallelism = 0 }));
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { Shards = [] }));
        var blank = await Assert.ThrowsAsync<ArgumentException>(() => _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { TargetMigration = " " }));

        Assert.Contains("MaxParallelism", parallelism.Message, StringComparison.Ordinal);
        Assert.Contains("Shards", empty.Message, StringComparison.Ordinal);
        Assert.Contains("TargetMigration", blank.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => _setup.HistoryOnServerAsync("primary")); // nothing ran: no history table
    }

    [Fact]
    public async Task A_shard_of_another_set_is_refused_before_anything_runs()
    {
        var services = new ServiceCollection();
        services.AddSharding(s => s.AddShardSet<long>("customers", o => o.AddShard("primary")));
        await using var provider = services.BuildServiceProvider();
        var foreign = provider.GetRequiredService<ShardSets>().Resolver<long>("customers").Shards[0];

        await Assert.ThrowsAsync<ShardSetMismatchException>(() => _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { Shards = [foreign] }));
    }
}
