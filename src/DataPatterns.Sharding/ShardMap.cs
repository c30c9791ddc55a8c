namespace DataPatterns.Sharding;

/// <summary>
/// What each shard of a set routes to: a <c>DbDataSource</c>, a read/write router, a connection string, a cache.
/// Looked up by <see cref="Shard.Index"/>, so getting a shard's target is an array read. A map belongs to the one set whose
/// shards built it and refuses shards of any other set (<see cref="ShardSetMismatchException"/>), since an index from
/// another set would silently pick the wrong target. Targets the map created are disposed with it.
/// </summary>
/// <typeparam name="TTarget">What a shard maps to.</typeparam>
public sealed class ShardMap<TTarget> : IAsyncDisposable
{
    private readonly TTarget[] _targets;
    private readonly ShardSetIdentity _set;

    /// <summary>Creates the map, asking <paramref name="targetFactory"/> for each shard's target.</summary>
    /// <param name="shardSetName">The set's name; must be the name of the set <paramref name="shards"/> come from.</param>
    /// <param name="shards">Every shard of the set, in index order: a resolver's <see cref="ShardResolver{TKey}.Shards"/>.</param>
    /// <param name="targetFactory">Creates the target of one shard.</param>
    /// <exception cref="ArgumentException">The shards are empty, out of order, from several sets or from a set of another name.</exception>
    public ShardMap(string shardSetName, IReadOnlyList<Shard> shards, Func<Shard, TTarget> targetFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shardSetName);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(targetFactory);
        _set = SetOf(shardSetName, shards);
        ShardSetName = shardSetName;
        Shards = shards;
        _targets = new TTarget[shards.Count];
        foreach (var shard in shards)
        {
            _targets[shard.Index] = targetFactory(shard) ?? throw new InvalidOperationException(
                $"Shard set '{shardSetName}': the target factory returned null for shard '{shard.Name}'; every shard needs a target.");
        }
    }

    /// <summary>The shard set's name.</summary>
    public string ShardSetName { get; }

    /// <summary>Where scatter-gather over this map reports; the container's meter when the map came from <c>AddSharding</c>.</summary>
    internal ShardingMetrics Metrics { get; set; } = ShardingMetrics.Default;

    /// <summary>The shards, in index order.</summary>
    public IReadOnlyList<Shard> Shards { get; }

    /// <summary>The target of <paramref name="shard"/>.</summary>
    /// <exception cref="ShardSetMismatchException"><paramref name="shard"/> belongs to another shard set.</exception>
    public TTarget this[Shard shard]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(shard);
            if (!ReferenceEquals(shard.Set, _set))
            {
                throw ForeignShard(shard, resolverSetName: null);
            }

            return _targets[shard.Index];
        }
    }

    /// <summary>The target of the shard that owns <paramref name="key"/>.</summary>
    /// <exception cref="ShardSetMismatchException"><paramref name="resolver"/> serves another shard set.</exception>
    public TTarget For<TKey>(ShardResolver<TKey> resolver, TKey key)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        var shard = resolver.Resolve(key);
        if (!ReferenceEquals(shard.Set, _set))
        {
            throw ForeignShard(shard, resolver.ShardSetName);
        }

        return _targets[shard.Index];
    }

    /// <summary>Whether <paramref name="shard"/> is one of this map's shards.</summary>
    internal bool Owns(Shard shard) => ReferenceEquals(shard.Set, _set);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets)
        {
            switch (target)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    private static ShardSetIdentity SetOf(string shardSetName, IReadOnlyList<Shard> shards)
    {
        if (shards.Count == 0)
        {
            throw new ArgumentException($"Shard set '{shardSetName}': a map needs the set's shards; pass a resolver's Shards.", nameof(shards));
        }

        var set = shards[0].Set;
        for (var i = 0; i < shards.Count; i++)
        {
            var shard = shards[i] ?? throw new ArgumentException($"Shard set '{shardSetName}': shard {i} is null.", nameof(shards));
            if (!ReferenceEquals(shard.Set, set) || shard.Index != i)
            {
                throw new ArgumentException(
                    $"Shard set '{shardSetName}': the shards must be one set's, in index order (a resolver's Shards), but shard '{shard.Name}' of set '{shard.ShardSetName}' sits at position {i}.",
                    nameof(shards));
            }
        }

        if (!string.Equals(set.Name, shardSetName, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The shards belong to shard set '{set.Name}', not '{shardSetName}'; name the map after its shards' set (new ShardMap<...>(resolver.ShardSetName, resolver.Shards, ...)).",
                nameof(shardSetName));
        }

        return set;
    }

    private ShardSetMismatchException ForeignShard(Shard shard, string? resolverSetName)
    {
        var what = resolverSetName is null
            ? $"Shard '{shard.Name}' belongs to shard set '{shard.ShardSetName}'"
            : $"The resolver of shard set '{resolverSetName}' resolved the key to shard '{shard.Name}' of set '{shard.ShardSetName}'";
        var fix = string.Equals(shard.ShardSetName, ShardSetName, StringComparison.Ordinal)
            ? $"The shard comes from another build of set '{ShardSetName}' (another service provider, or a second ShardResolverFactory.Create): a map accepts only the shards of the resolver it was built from, so take the resolver and the map from the same container, or build the map from that resolver's Shards."
            : $"Shard indexes count within one set, so this map would hand out another shard's target. Use the map of set '{shard.ShardSetName}' (ShardSets.Map<{typeof(TTarget).Name}>(\"{shard.ShardSetName}\")), or resolve the key with the resolver of set '{ShardSetName}' (ShardSets.Resolver<TKey>(\"{ShardSetName}\")).";
        return new ShardSetMismatchException(
            ShardSetName,
            shard.Name,
            shard.ShardSetName,
            $"{what}, but this map was built for set '{ShardSetName}'. {fix}");
    }
}
