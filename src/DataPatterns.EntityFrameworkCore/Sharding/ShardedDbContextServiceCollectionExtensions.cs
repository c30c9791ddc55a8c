using DataPatterns.EntityFrameworkCore.Sharding;
using DataPatterns.Sharding;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers sharded DbContext factories on a shard set.</summary>
public static class ShardedDbContextServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IShardedDbContextFactory{TContext}"/> for this shard set, as a singleton and as a keyed singleton
    /// under the set's name (the keyed one when one context type serves several sets). <paramref name="configure"/> chooses
    /// the provider and connection for a shard, e.g.
    /// <c>(sp, shard, options) =&gt; options.UseNpgsql(sp.GetRequiredKeyedService&lt;ShardMap&lt;NpgsqlDataSource&gt;&gt;("orders")[shard])</c>;
    /// it runs once per shard and the options are reused for every context.
    /// </summary>
    /// <typeparam name="TContext">The context type; it needs a public constructor taking <see cref="DbContextOptions{TContext}"/>.</typeparam>
    /// <typeparam name="TKey">The set's key type.</typeparam>
    /// <returns>The shard-set builder, to go on configuring the set.</returns>
    public static ShardSetBuilder<TKey> AddShardedDbContextFactory<TContext, TKey>(
        this ShardSetBuilder<TKey> builder,
        Action<IServiceProvider, Shard, DbContextOptionsBuilder<TContext>> configure)
        where TContext : DbContext
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = builder.Name;
        var services = builder.Sharding.Services;
        services.TryAddKeyedSingleton<IShardedDbContextFactory<TContext>>(
            name,
            (provider, _) => new ShardedDbContextFactory<TContext, TKey>(provider, provider.GetRequiredKeyedService<ShardResolver<TKey>>(name), configure));
        services.TryAddSingleton(provider => provider.GetRequiredKeyedService<IShardedDbContextFactory<TContext>>(name));

        // Building the factory builds every shard's options, so a shard the delegate cannot configure fails the host's
        // start-up with the factory's message instead of failing the first request that reaches that shard.
        services.AddOptions<ShardedDbContextFactoryCheck<TContext>>(name)
            .Validate<IServiceProvider>((_, provider) => provider.GetRequiredKeyedService<IShardedDbContextFactory<TContext>>(name) is not null)
            .ValidateOnStart();
        return builder;
    }
}
