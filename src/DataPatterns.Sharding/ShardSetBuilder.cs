using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataPatterns.Sharding;

/// <summary>Adds targets, a directory source and domains to one shard set.</summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
public sealed class ShardSetBuilder<TKey>
    where TKey : notnull
{
    internal ShardSetBuilder(ShardingBuilder sharding, string name)
    {
        Sharding = sharding;
        Name = name;
    }

    /// <summary>The sharding builder (to add further sets).</summary>
    public ShardingBuilder Sharding { get; }

    /// <summary>The set's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Maps each shard to a target (a <c>DbDataSource</c>, a read/write router, ...), registered as the keyed singleton
    /// <see cref="ShardMap{TTarget}"/> under the set's name. Targets are created once and disposed with the container.
    /// </summary>
    public ShardSetBuilder<TKey> MapTo<TTarget>(Func<IServiceProvider, Shard, TTarget> targetFactory)
    {
        ArgumentNullException.ThrowIfNull(targetFactory);
        var name = Name;
        Sharding.Services.TryAddKeyedSingleton(name, (provider, _) =>
        {
            var resolver = provider.GetRequiredKeyedService<ShardResolver<TKey>>(name);
            return new ShardMap<TTarget>(name, resolver.Shards, shard => targetFactory(provider, shard)) { Metrics = resolver.Metrics };
        });
        return this;
    }

    /// <summary>
    /// Gives a <see cref="ShardingStrategy.Directory"/> set its table source; the table loads when the host starts and
    /// reloads every <see cref="ShardSetOptions{TKey}.DirectoryRefreshInterval"/>.
    /// </summary>
    public ShardSetBuilder<TKey> UseDirectory(Func<IServiceProvider, IShardDirectorySource<TKey>> sourceFactory)
    {
        ArgumentNullException.ThrowIfNull(sourceFactory);
        Sharding.Services.TryAddKeyedSingleton(Name, (provider, _) => sourceFactory(provider));
        var name = Name;
        Sharding.Services.AddSingleton<IHostedService>(provider => new ShardDirectoryRefreshService<TKey>(
            name,
            provider.GetRequiredKeyedService<ShardResolver<TKey>>(name),
            provider.GetRequiredService<IOptionsMonitor<ShardSetOptions<TKey>>>().Get(name).DirectoryRefreshInterval,
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return this;
    }

    /// <summary>Declares that the domain <paramref name="domain"/> (a bounded context or entity type name) lives in this set.</summary>
    /// <exception cref="InvalidOperationException">The domain is already mapped to another set.</exception>
    public ShardSetBuilder<TKey> ForDomain(string domain)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        if (!Sharding.Registrations.Domains.TryAdd(domain, Name))
        {
            throw new InvalidOperationException($"Domain '{domain}' is already mapped to shard set '{Sharding.Registrations.Domains[domain]}'; a domain lives in exactly one set.");
        }

        return this;
    }

    /// <summary>Declares that entities of type <typeparamref name="TEntity"/> live in this set.</summary>
    public ShardSetBuilder<TKey> ForDomain<TEntity>() => ForDomain(typeof(TEntity).Name);
}
