namespace DataPatterns.Sharding;

/// <summary>
/// Resolves a key by the ordered range it falls in, for time- or id-ranged data: range scans stay on one shard, but the
/// newest range takes every insert (a hot spot) and growing means splitting ranges by hand. Ranges are checked when
/// built: sorted, contiguous, non-empty, open-ended only at the end.
/// </summary>
/// <typeparam name="TKey">An ordered key type.</typeparam>
public sealed class RangeShardResolver<TKey> : ShardResolver<TKey>
{
    private readonly TKey[] _lowerBounds;
    private readonly Shard[] _owners;
    private readonly TKey? _upperBound;
    private readonly bool _isOpenEnded;
    private readonly IComparer<TKey> _comparer;

    /// <summary>Creates the resolver.</summary>
    /// <exception cref="ArgumentException">The ranges overlap, leave a gap, are empty, or name an unknown shard (the message says which).</exception>
    public RangeShardResolver(string shardSetName, IReadOnlyList<Shard> shards, IEnumerable<ShardRange<TKey>> ranges, IComparer<TKey>? comparer = null)
        : base(shardSetName, shards)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        _comparer = comparer ?? Comparer<TKey>.Default;
        var problems = ShardRangeRules.Check(shardSetName, shards.Select(s => s.Name).ToArray(), ranges.ToList(), _comparer);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(ranges));
        }

        var sorted = ranges.OrderBy(r => r.From, _comparer).ToArray();
        _lowerBounds = sorted.Select(r => r.From).ToArray();
        _owners = sorted.Select(r => shards.First(s => string.Equals(s.Name, r.Shard, StringComparison.Ordinal))).ToArray();
        _isOpenEnded = sorted[^1].IsOpenEnded;
        _upperBound = sorted[^1].To;
        Ranges = sorted;
    }

    /// <summary>The ranges, sorted.</summary>
    public IReadOnlyList<ShardRange<TKey>> Ranges { get; }

    /// <inheritdoc />
    public override Shard Resolve(TKey key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), "A shard key cannot be null: every row must belong to exactly one shard.");
        }

        // Last lower bound <= key.
        int low = 0, high = _lowerBounds.Length - 1, found = -1;
        while (low <= high)
        {
            var middle = (int)((uint)(low + high) >> 1);
            if (_comparer.Compare(_lowerBounds[middle], key) <= 0)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        if (found < 0 || (!_isOpenEnded && found == _lowerBounds.Length - 1 && _comparer.Compare(key, _upperBound!) >= 0))
        {
            throw new ShardNotFoundException(ShardSetName,
                $"Key '{key}' is outside every range of shard set '{ShardSetName}' ({Ranges[0].From} up to {(_isOpenEnded ? "∞" : _upperBound)}). Add a range that covers it, or make the last range open-ended.");
        }

        var shard = _owners[found];
        RecordResolution(shard);
        return shard;
    }
}
