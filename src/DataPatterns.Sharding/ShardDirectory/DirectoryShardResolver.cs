using System.Collections.Frozen;

namespace DataPatterns.Sharding;

/// <summary>
/// Resolves a key by looking it up in a directory (tenant → shard), loaded from an <see cref="IShardDirectorySource{TKey}"/>
/// and replaced whole on each refresh, so moving one tenant is an update of one row and needs no restart. Any placement
/// is possible (a big tenant on a shard of its own); the cost is the table itself, which must be loaded before use.
/// Keys missing from the directory go to the fallback resolver when one is set, else fail with <see cref="ShardNotFoundException"/>.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
public sealed class DirectoryShardResolver<TKey> : ShardResolver<TKey>
    where TKey : notnull
{
    private readonly IShardDirectorySource<TKey> _source;
    private readonly ShardResolver<TKey>? _fallback;
    private readonly TimeProvider _timeProvider;
    private volatile Snapshot? _snapshot;

    /// <summary>Creates the resolver; call <see cref="RefreshAsync"/> before the first <see cref="Resolve"/>.</summary>
    public DirectoryShardResolver(string shardSetName, IReadOnlyList<Shard> shards, IShardDirectorySource<TKey> source, ShardResolver<TKey>? fallback = null, TimeProvider? timeProvider = null)
        : base(shardSetName, shards)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _fallback = fallback;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>When the directory was last loaded, or null before the first load.</summary>
    public DateTimeOffset? LoadedAt => _snapshot?.LoadedAt;

    /// <summary>The number of keys in the loaded directory.</summary>
    public int Count => _snapshot?.Table.Count ?? 0;

    /// <summary>Loads the directory again and swaps it in atomically; readers never see half a table.</summary>
    /// <exception cref="InvalidOperationException">The table names a shard that is not in the set (nothing is swapped in).</exception>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // Two refreshes at once each load a whole table and swap it in; the later swap wins, and neither is ever half-seen.
        {
            var loaded = await _source.LoadAsync(cancellationToken).ConfigureAwait(false);
            var byName = Shards.ToDictionary(s => s.Name, StringComparer.Ordinal);
            var table = new Dictionary<TKey, Shard>(loaded.Count);
            foreach (var (key, shardName) in loaded)
            {
                if (!byName.TryGetValue(shardName, out var shard))
                {
                    throw new InvalidOperationException(
                        $"Shard set '{ShardSetName}': the directory maps '{key}' to shard '{shardName}', which is not one of {string.Join(", ", byName.Keys)}. Fix the directory row or add the shard; the previous directory stays in use.");
                }

                table[key] = shard;
            }

            _snapshot = new Snapshot(table.ToFrozenDictionary(), _timeProvider.GetUtcNow());
        }
    }

    /// <inheritdoc />
    public override Shard Resolve(TKey key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), "A shard key cannot be null: every row must belong to exactly one shard.");
        }

        var snapshot = _snapshot ?? throw new InvalidOperationException(
            $"Shard set '{ShardSetName}': the directory has not been loaded yet. With AddSharding it loads at host start; otherwise call RefreshAsync first.");
        if (snapshot.Table.TryGetValue(key, out var shard))
        {
            RecordResolution(shard);
            return shard;
        }

        return _fallback?.Resolve(key) ?? throw new ShardNotFoundException(ShardSetName,
            $"Key '{key}' is not in the directory of shard set '{ShardSetName}'. Add a row for it to the directory table, or configure a fallback strategy for unlisted keys.");
    }

    private sealed record Snapshot(FrozenDictionary<TKey, Shard> Table, DateTimeOffset LoadedAt);
}
