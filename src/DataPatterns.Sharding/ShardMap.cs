namespace DataPatterns.Sharding;

/// <summary>
/// What each shard of a set routes to: a <c>DbDataSource</c>, a read/write router, a connection string, a cache.
/// Looked up by <see cref="Shard.Index"/>, so getting a shard's target is an array read. Targets the map created are
/// disposed with it.
/// </summary>
/// <typeparam name="TTarget">What a shard maps to.</typeparam>
public sealed class ShardMap<TTarget> : IAsyncDisposable
{
    private readonly TTarget[] _targets;

    /// <summary>Creates the map, asking <paramref name="targetFactory"/> for each shard's target.</summary>
    public ShardMap(string shardSetName, IReadOnlyList<Shard> shards, Func<Shard, TTarget> targetFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shardSetName);
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(targetFactory);
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

    /// <summary>The shards, in index order.</summary>
    public IReadOnlyList<Shard> Shards { get; }

    /// <summary>The target of <paramref name="shard"/>.</summary>
    public TTarget this[Shard shard]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(shard);
            return _targets[shard.Index];
        }
    }

    /// <summary>The target of the shard that owns <paramref name="key"/>.</summary>
    public TTarget For<TKey>(ShardResolver<TKey> resolver, TKey key)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        return _targets[resolver.Resolve(key).Index];
    }

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
}
