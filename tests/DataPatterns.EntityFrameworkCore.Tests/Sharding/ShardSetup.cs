using DataPatterns.EntityFrameworkCore.Sharding;
using DataPatterns.Sharding;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.EntityFrameworkCore.Tests.Sharding;

/// <summary>A container with one shard set whose shards are the given databases, and the orders context factory on it.</summary>
public sealed class ShardSetup : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private ShardSetup(ServiceProvider provider, IReadOnlyDictionary<string, string> connectionStrings)
    {
        _provider = provider;
        ConnectionStrings = connectionStrings;
        Factory = provider.GetRequiredService<IShardedDbContextFactory<ShardOrdersContext>>();
        Resolver = provider.GetRequiredService<ShardSets>().Resolver<long>(SetName);
    }

    public const string SetName = "orders";

    /// <summary>Shard name → connection string of its database.</summary>
    public IReadOnlyDictionary<string, string> ConnectionStrings { get; }

    public IShardedDbContextFactory<ShardOrdersContext> Factory { get; }

    public ShardResolver<long> Resolver { get; }

    public IServiceProvider Services => _provider;

    /// <summary>Shards named after the databases' servers, in the order given.</summary>
    public static ShardSetup Create(
        IEnumerable<TemporaryDatabase> databases, string extraConnectionSettings = "", Action<Shard, DbContextOptionsBuilder>? configureShard = null)
    {
        var connectionStrings = databases.ToDictionary(d => d.Server.Name, d => d.ConnectionString + extraConnectionSettings);
        var services = new ServiceCollection();
        services.AddSharding(sharding => sharding
            .AddShardSet<long>(SetName, set =>
            {
                foreach (var name in connectionStrings.Keys)
                {
                    set.AddShard(name);
                }
            })
            .MapTo((_, shard) => NpgsqlDataSource.Create(connectionStrings[shard.Name]))
            .AddShardedDbContextFactory<ShardOrdersContext, long>(
                (sp, shard, options) =>
                {
                    options.UseNpgsql(sp.GetRequiredKeyedService<ShardMap<NpgsqlDataSource>>(SetName)[shard]);
                    configureShard?.Invoke(shard, options);
                }));
        return new ShardSetup(services.BuildServiceProvider(validateScopes: true), connectionStrings);
    }

    /// <summary>The ids in the orders table of one shard's database, read with plain Npgsql (not through the factory).</summary>
    public async Task<List<long>> IdsOnServerAsync(string shardName)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionStrings[shardName]);
        await using var command = dataSource.CreateCommand("SELECT id FROM orders ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>The migration ids recorded in one shard's <c>__EFMigrationsHistory</c>, read with plain Npgsql.</summary>
    public async Task<List<string>> HistoryOnServerAsync(string shardName)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionStrings[shardName]);
        await using var command = dataSource.CreateCommand("SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY \"MigrationId\"");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Saves each order through a context on its customer's shard.</summary>
    public async Task SaveAsync(IEnumerable<ShardOrder> orders)
    {
        foreach (var group in orders.GroupBy(o => Factory.ShardFor(o.CustomerId)))
        {
            await using var context = Factory.CreateForShard(group.Key);
            context.Orders.AddRange(group);
            await context.SaveChangesAsync();
        }
    }

    /// <summary>Empties the orders table on every shard.</summary>
    public async Task TruncateAsync()
    {
        foreach (var shard in Factory.Shards)
        {
            await using var context = Factory.CreateForShard(shard);
            await context.Database.ExecuteSqlRawAsync("TRUNCATE orders");
        }
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

/// <summary>The three shared PostgreSQL servers as three shards, a database of its own on each, migrated.</summary>
public sealed class ThreeShardsFixture : IAsyncLifetime
{
    private readonly List<TemporaryDatabase> _databases = [];

    public ShardSetup Setup { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (var server in new[] { TestServers.Primary, TestServers.Node2, TestServers.Node3 })
        {
            _databases.Add(await TemporaryDatabase.CreateAsync(server, "efshards"));
        }

        // Small pools, so the overload test queues for connections as a busy service would.
        Setup = ShardSetup.Create(_databases, ";Maximum Pool Size=4");
        await Setup.Factory.MigrateAllShardsAsync();
    }

    public async Task DisposeAsync()
    {
        await Setup.DisposeAsync();
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }
}
