using DataPatterns.Sharding;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>The factory for one shard set whose keys are <typeparamref name="TKey"/>.</summary>
internal sealed class ShardedDbContextFactory<TContext, TKey> : IShardedDbContextFactory<TContext>
    where TContext : DbContext
    where TKey : notnull
{
    private readonly IServiceProvider _services;
    private readonly ShardResolver<TKey> _resolver;
    private readonly ObjectFactory<TContext> _createContext;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    public ShardedDbContextFactory(
        IServiceProvider services,
        ShardResolver<TKey> resolver,
        Action<IServiceProvider, Shard, DbContextOptionsBuilder<TContext>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(configure);
        _services = services;
        _resolver = resolver;
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger("DataPatterns.EntityFrameworkCore.Sharding") ?? NullLogger.Instance;
        _timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _createContext = ContextFactory(resolver.ShardSetName);

        // Built once per shard: EF Core then reuses its internal service provider and model for every context.
        Options = new ShardMap<DbContextOptions<TContext>>(resolver.ShardSetName, resolver.Shards, shard => BuildOptions(services, shard, configure));
    }

    public string ShardSetName => _resolver.ShardSetName;

    public IReadOnlyList<Shard> Shards => _resolver.Shards;

    public ShardMap<DbContextOptions<TContext>> Options { get; }

    public Shard ShardFor<TCallerKey>(TCallerKey key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), $"A shard key is required to pick a shard of set '{ShardSetName}'; pass the entity's shard key, or use CreateForShard to name a shard.");
        }

        if (key is not TKey typed)
        {
            throw new ArgumentException(
                $"Shard set '{ShardSetName}' has keys of type '{typeof(TKey).Name}', but the key given is a '{key.GetType().Name}'; pass a {typeof(TKey).Name} (for example ({typeof(TKey).Name})key), since a key of another type would hash to another shard.",
                nameof(key));
        }

        return _resolver.Resolve(typed);
    }

    public ValueTask<TContext> CreateForKeyAsync<TCallerKey>(TCallerKey key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(CreateForShard(ShardFor(key)));
    }

    public TContext CreateForShard(Shard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return _createContext(_services, [Options[shard]]);
    }

    public TContext CreateForShard(string shardName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shardName);
        return CreateForShard(_resolver.GetShard(shardName));
    }

    public Task<ShardMigrationReport> MigrateAllShardsAsync(ShardMigrationOptions? options = null, CancellationToken cancellationToken = default) =>
        ShardMigrationRunner.RunAsync(this, options ?? new ShardMigrationOptions(), _logger, _timeProvider, cancellationToken);

    private static ObjectFactory<TContext> ContextFactory(string shardSetName)
    {
        try
        {
            return ActivatorUtilities.CreateFactory<TContext>([typeof(DbContextOptions<TContext>)]);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(
                $"Shard set '{shardSetName}': {typeof(TContext).Name} cannot be created with a shard's options; give it a public constructor that takes DbContextOptions<{typeof(TContext).Name}> (its other parameters come from the service provider).",
                ex);
        }
    }

    private static DbContextOptions<TContext> BuildOptions(
        IServiceProvider services, Shard shard, Action<IServiceProvider, Shard, DbContextOptionsBuilder<TContext>> configure)
    {
        var builder = new DbContextOptionsBuilder<TContext>();
        configure(services, shard, builder);
        if (!builder.IsConfigured)
        {
            throw new InvalidOperationException(
                $"Shard set '{shard.ShardSetName}': the options delegate of {typeof(TContext).Name} chose no database provider for shard '{shard.Name}'; call a provider method on the options for every shard, e.g. options.UseNpgsql(dataSourceOf(shard)).");
        }

        return builder.Options;
    }
}
