namespace DataPatterns.Sharding;

/// <summary>
/// A key range owned by one shard: [<see cref="From"/>, <see cref="To"/>), or [<see cref="From"/>, ∞) when open-ended
/// (allowed only for the last range). Ranges of a set must meet end to start, with no gap and no overlap.
/// </summary>
/// <typeparam name="TKey">An ordered key type (ids, timestamps).</typeparam>
public sealed class ShardRange<TKey>
{
    private ShardRange(string shard, TKey from, TKey? to, bool isOpenEnded)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shard);
        Shard = shard;
        From = from;
        To = to;
        IsOpenEnded = isOpenEnded;
    }

    /// <summary>The name of the shard that owns the range.</summary>
    public string Shard { get; }

    /// <summary>The first key of the range (inclusive).</summary>
    public TKey From { get; }

    /// <summary>The first key after the range (exclusive); meaningless when <see cref="IsOpenEnded"/>.</summary>
    public TKey? To { get; }

    /// <summary>True for a last range with no upper bound.</summary>
    public bool IsOpenEnded { get; }

    /// <summary>The range [<paramref name="from"/>, <paramref name="to"/>) on <paramref name="shard"/>.</summary>
    public static ShardRange<TKey> Between(string shard, TKey from, TKey to) => new(shard, from, to, isOpenEnded: false);

    /// <summary>The open-ended range [<paramref name="from"/>, ∞) on <paramref name="shard"/>; must be the last range.</summary>
    public static ShardRange<TKey> StartingAt(string shard, TKey from) => new(shard, from, default, isOpenEnded: true);

    /// <inheritdoc />
    public override string ToString() => IsOpenEnded ? $"[{From}, ∞) → {Shard}" : $"[{From}, {To}) → {Shard}";
}
