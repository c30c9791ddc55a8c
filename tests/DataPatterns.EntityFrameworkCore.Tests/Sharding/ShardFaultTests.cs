using DataPatterns.EntityFrameworkCore.Sharding;
using DataPatterns.Sharding;
using System.Data.Common;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DataPatterns.EntityFrameworkCore.Tests.Sharding;

/// <summary>A PostgreSQL server of the tests' own as the third shard, so it can be stopped without touching the shared servers.</summary>
public sealed class PrivateShardFixture : IAsyncLifetime
{
    public const string ShardName = "private-shard";

    public PrivatePostgres Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PrivatePostgres.StartNewAsync(ShardName);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>A shard down during a query or a migration run: the error names it; the other shards still answer or finish.</summary>
public sealed class ShardFaultTests(PrivateShardFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<PrivateShardFixture>, IAsyncLifetime
{
    private readonly List<TemporaryDatabase> _databases = [];
    private ShardSetup _setup = null!;

    public async Task InitializeAsync()
    {
        if (!await fixture.Server.IsUpAsync())
        {
            await fixture.Server.StartAfterKillAsync(); // a failed earlier test may have left it stopped or killed
        }

        foreach (var server in new[] { TestServers.Primary, TestServers.Node2, fixture.Server.Server })
        {
            _databases.Add(await TemporaryDatabase.CreateAsync(server, "effault"));
        }

        _setup = ShardSetup.Create(_databases);
    }

    public async Task DisposeAsync()
    {
        if (!await fixture.Server.IsUpAsync())
        {
            await fixture.Server.StartAfterKillAsync(); // so the database can be dropped, whatever the test left
        }

        await _setup.DisposeAsync();
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_query_with_a_shard_down_fails_naming_the_shard_and_with_partial_results_returns_the_others()
    {
        await _setup.Factory.MigrateAllShardsAsync();
        var orders = Enumerable.Range(1, 60).Select(i => new ShardOrder { Id = i, CustomerId = i * 31_337L, Amount = i % 7 }).ToList();
        await _setup.SaveAsync(orders);
        var down = _setup.Resolver.GetShard(PrivateShardFixture.ShardName);
        Assert.Contains(orders, o => _setup.Resolver.Resolve(o.CustomerId) == down);

        await fixture.Server.StopAsync(immediate: true);

        var error = await Assert.ThrowsAsync<ShardQueryException>(() => _setup.Factory.ScatterGatherAsync(c => c.Orders));
        Assert.Equal([PrivateShardFixture.ShardName], error.Failures.Select(f => f.Shard.Name));
        Assert.Contains($"'{PrivateShardFixture.ShardName}'", error.Message, StringComparison.Ordinal);

        var order = ShardedOrder<ShardOrder>.By(o => o.Amount).ThenBy(o => o.Id);
        var page = await _setup.Factory.QueryPageAsync(c => c.Orders, order, 0, 1000, new ScatterGatherOptions { AllowPartialResults = true });
        var survivors = orders.Where(o => _setup.Resolver.Resolve(o.CustomerId) != down).OrderBy(o => o.Amount).ThenBy(o => o.Id).Select(o => o.Id);
        Assert.True(page.IsPartial);
        Assert.Equal([down], page.Failures.Select(f => f.Shard));
        Assert.Equal(survivors, page.Rows.Select(o => o.Id));

        var count = await _setup.Factory.CountAsync(c => c.Orders, new ScatterGatherOptions { AllowPartialResults = true });
        Assert.Equal(survivors.Count(), count.Value);
        Assert.True(count.IsPartial);
    }

    [Fact]
    public async Task A_shard_down_during_migration_is_named_the_others_finish_and_a_rerun_applies_only_what_is_missing()
    {
        var first = await _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { TargetMigration = ShardOrdersContext.CreateOrders });
        Assert.All(first.Shards, shard => Assert.Equal([ShardOrdersContext.CreateOrders], shard.Applied));

        await fixture.Server.StopAsync(immediate: true);

        var error = await Assert.ThrowsAsync<ShardMigrationException>(() => _setup.Factory.MigrateAllShardsAsync());
        Assert.Equal([PrivateShardFixture.ShardName], error.FailedShards);
        Assert.Contains($"'{PrivateShardFixture.ShardName}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("run MigrateAllShardsAsync again", error.Message, StringComparison.Ordinal);
        Assert.All(error.Report.Shards.Where(s => s.Shard.Name != PrivateShardFixture.ShardName), shard => Assert.Equal([ShardOrdersContext.AddNote], shard.Applied));
        Assert.Equal([ShardOrdersContext.CreateOrders, ShardOrdersContext.AddNote], await _setup.HistoryOnServerAsync("primary"));
        Assert.Equal([ShardOrdersContext.CreateOrders, ShardOrdersContext.AddNote], await _setup.HistoryOnServerAsync("node2"));

        var reported = await _setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { ThrowOnFailure = false });
        output.WriteLine(error.Message);
        output.WriteLine(reported.ToString());
        Assert.False(reported.Succeeded);
        Assert.Equal([PrivateShardFixture.ShardName], reported.Failed.Select(f => f.Shard.Name));
        Assert.Contains($"{PrivateShardFixture.ShardName}: FAILED", reported.ToString(), StringComparison.Ordinal);

        await fixture.Server.StartAsync();
        var rerun = await _setup.Factory.MigrateAllShardsAsync();

        Assert.True(rerun.Succeeded);
        Assert.Equal([ShardOrdersContext.AddNote], rerun.Shards.Single(s => s.Shard.Name == PrivateShardFixture.ShardName).Applied);
        Assert.All(rerun.Shards.Where(s => s.Shard.Name != PrivateShardFixture.ShardName), shard => Assert.Empty(shard.Applied));
        foreach (var shard in _setup.Factory.Shards)
        {
            Assert.Equal([ShardOrdersContext.CreateOrders, ShardOrdersContext.AddNote], await _setup.HistoryOnServerAsync(shard.Name));
        }
    }

    /// <summary>
    /// The worst moment: the shard's server is killed just as its second migration's ALTER TABLE is sent. The crash rolls
    /// that migration back; the report names the shard; the rerun applies it exactly once (a second ALTER would fail).
    /// </summary>
    [Fact]
    public async Task A_shard_killed_in_the_middle_of_a_migration_gets_it_exactly_once_on_the_rerun()
    {
        var killer = new KillBeforeCommand(fixture.Server, "ADD note");
        await using var setup = ShardSetup.Create(_databases, configureShard: (shard, options) =>
        {
            if (shard.Name == PrivateShardFixture.ShardName)
            {
                options.AddInterceptors(killer);
            }
        });
        await setup.Factory.MigrateAllShardsAsync(new ShardMigrationOptions { TargetMigration = ShardOrdersContext.CreateOrders });

        var error = await Assert.ThrowsAsync<ShardMigrationException>(() => setup.Factory.MigrateAllShardsAsync());

        Assert.True(killer.Killed);
        Assert.Equal([PrivateShardFixture.ShardName], error.FailedShards);
        await fixture.Server.StartAfterKillAsync();
        Assert.Equal([ShardOrdersContext.CreateOrders], await setup.HistoryOnServerAsync(PrivateShardFixture.ShardName));

        var rerun = await setup.Factory.MigrateAllShardsAsync();

        Assert.Equal([ShardOrdersContext.AddNote], rerun.Shards.Single(s => s.Shard.Name == PrivateShardFixture.ShardName).Applied);
        Assert.Equal([ShardOrdersContext.CreateOrders, ShardOrdersContext.AddNote], await setup.HistoryOnServerAsync(PrivateShardFixture.ShardName));
        await setup.SaveAsync([new ShardOrder { Id = 1, CustomerId = 5, Note = "after the rerun" }]);
    }

    /// <summary>Kills the server the first time a command containing <paramref name="marker"/> is about to run.</summary>
    private sealed class KillBeforeCommand(PrivatePostgres server, string marker) : DbCommandInterceptor
    {
        private int _armed = 1;

        public bool Killed => Volatile.Read(ref _armed) == 0;

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains(marker, StringComparison.Ordinal) && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                await server.KillAsync(cancellationToken);
            }

            return result;
        }
    }
}
