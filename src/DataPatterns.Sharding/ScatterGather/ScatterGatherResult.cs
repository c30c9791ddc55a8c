namespace DataPatterns.Sharding;

/// <summary>What each shard returned from a scatter-gather query, and which shards failed (only with partial results allowed).</summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed class ScatterGatherResult<T>
{
    internal ScatterGatherResult(IReadOnlyList<ShardRows<T>> perShard, IReadOnlyList<ShardFailure> failures)
    {
        PerShard = perShard;
        Failures = failures;
    }

    /// <summary>The rows of each shard that answered, in shard index order.</summary>
    public IReadOnlyList<ShardRows<T>> PerShard { get; }

    /// <summary>The shards that failed (empty unless partial results were allowed).</summary>
    public IReadOnlyList<ShardFailure> Failures { get; }

    /// <summary>True when some shard failed and its rows are missing.</summary>
    public bool IsPartial => Failures.Count > 0;

    /// <summary>All rows, shard after shard.</summary>
    public IReadOnlyList<T> Concatenate()
    {
        var all = new List<T>(PerShard.Sum(s => s.Rows.Count));
        foreach (var shard in PerShard)
        {
            all.AddRange(shard.Rows);
        }

        return all;
    }

    /// <summary>
    /// All rows in one order, merged from per-shard lists that are each already sorted by <paramref name="comparer"/>
    /// (sort in each shard's query): a k-way merge, O(n log k), stable by shard index for equal keys.
    /// </summary>
    public IReadOnlyList<T> MergeOrdered(IComparer<T> comparer) => MergeOrdered(comparer, skip: 0, take: int.MaxValue);

    /// <summary>
    /// One page of the merged order: the rows at positions [<paramref name="skip"/>, <paramref name="skip"/> + <paramref name="take"/>).
    /// For a correct page each shard's query must return its first <c>skip + take</c> rows in that order.
    /// </summary>
    public IReadOnlyList<T> MergeOrdered(IComparer<T> comparer, int skip, int take)
    {
        ArgumentNullException.ThrowIfNull(comparer);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        var result = new List<T>(Math.Min(take, PerShard.Sum(s => s.Rows.Count)));
        var heads = new PriorityQueue<(int Shard, int Position), (T Row, int Shard)>(
            Comparer<(T Row, int Shard)>.Create((a, b) =>
            {
                var order = comparer.Compare(a.Row, b.Row);
                return order != 0 ? order : a.Shard.CompareTo(b.Shard);
            }));
        for (var i = 0; i < PerShard.Count; i++)
        {
            if (PerShard[i].Rows.Count > 0)
            {
                heads.Enqueue((i, 0), (PerShard[i].Rows[0], i));
            }
        }

        var position = 0;
        while (result.Count < take && heads.TryDequeue(out var head, out _))
        {
            var rows = PerShard[head.Shard].Rows;
            if (position++ >= skip)
            {
                result.Add(rows[head.Position]);
            }

            var next = head.Position + 1;
            if (next < rows.Count)
            {
                heads.Enqueue((head.Shard, next), (rows[next], head.Shard));
            }
        }

        return result;
    }

    /// <summary>The first <paramref name="count"/> rows of the merged order (top-N).</summary>
    public IReadOnlyList<T> Top(IComparer<T> comparer, int count) => MergeOrdered(comparer, 0, count);
}
