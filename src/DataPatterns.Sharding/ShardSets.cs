using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Sharding;

/// <summary>
/// Every shard set registered with <c>AddSharding</c>, by name and by domain. Splitting by domain (catalog in one database,
/// orders spread over several) is a shard set per domain: a one-shard set for data that fits one database, a hashed or
/// ranged set for data that does not; <see cref="ResolverFor{TEntity, TKey}"/> finds the set an entity type belongs to.
/// </summary>
public sealed class ShardSets
{
    private readonly IServiceProvider _services;
    private readonly ShardingRegistrations _registrations;

    /// <summary>Created by dependency injection.</summary>
    public ShardSets(IServiceProvider services, ShardingRegistrations registrations)
    {
        _services = services;
        _registrations = registrations;
    }

    /// <summary>The names of every registered shard set.</summary>
    public IReadOnlyCollection<string> Names => _registrations.SetKeyTypes.Keys;

    /// <summary>The resolver of the named shard set.</summary>
    /// <exception cref="InvalidOperationException">No such set, or its key type is not <typeparamref name="TKey"/>.</exception>
    public ShardResolver<TKey> Resolver<TKey>(string shardSetName)
    {
        if (!_registrations.SetKeyTypes.TryGetValue(shardSetName, out var keyType))
        {
            throw new InvalidOperationException($"No shard set named '{shardSetName}' is registered; the sets are: {string.Join(", ", Names)}. Add it with AddSharding(s => s.AddShardSet<{typeof(TKey).Name}>(\"{shardSetName}\", ...)).");
        }

        if (keyType != typeof(TKey))
        {
            throw new InvalidOperationException($"Shard set '{shardSetName}' has keys of type '{keyType.Name}', not '{typeof(TKey).Name}'; ask for Resolver<{keyType.Name}>(\"{shardSetName}\"), or register the set with AddShardSet<{typeof(TKey).Name}> if its keys really are '{typeof(TKey).Name}'.");
        }

        return _services.GetRequiredKeyedService<ShardResolver<TKey>>(shardSetName);
    }

    /// <summary>
    /// The virtual-bucket resolver of a set that uses <see cref="ShardingStrategy.VirtualBuckets"/> (the default): the
    /// bucket of a key (<see cref="BucketShardResolver{TKey}.BucketOf"/>) and the bucket map a resharding plan compares.
    /// </summary>
    /// <exception cref="InvalidOperationException">No such set, another key type, or a set with another strategy.</exception>
    public BucketShardResolver<TKey> Buckets<TKey>(string shardSetName)
        where TKey : notnull =>
        Resolver<TKey>(shardSetName) as BucketShardResolver<TKey>
        ?? throw new InvalidOperationException($"Shard set '{shardSetName}' does not use virtual buckets, so it has no buckets to ask for; buckets exist with Strategy = ShardingStrategy.VirtualBuckets (the default).");

    /// <summary>The shard map (shard → target) of the named shard set.</summary>
    public ShardMap<TTarget> Map<TTarget>(string shardSetName) =>
        _services.GetKeyedService<ShardMap<TTarget>>(shardSetName)
        ?? throw new InvalidOperationException($"Shard set '{shardSetName}' has no targets of type '{typeof(TTarget).Name}'; add .MapTo<{typeof(TTarget).Name}>(...) to its registration.");

    /// <summary>The name of the shard set that holds the domain <paramref name="domain"/> (an entity type name or a bounded context).</summary>
    public string ShardSetOfDomain(string domain) =>
        _registrations.Domains.TryGetValue(domain, out var set)
            ? set
            : throw new InvalidOperationException($"No shard set holds domain '{domain}'; map it with .ForDomain(\"{domain}\") on a shard set. Mapped domains: {string.Join(", ", _registrations.Domains.Keys)}.");

    /// <summary>The resolver of the shard set that holds entity type <typeparamref name="TEntity"/>.</summary>
    public ShardResolver<TKey> ResolverFor<TEntity, TKey>() => Resolver<TKey>(ShardSetOfDomain(typeof(TEntity).Name));
}
