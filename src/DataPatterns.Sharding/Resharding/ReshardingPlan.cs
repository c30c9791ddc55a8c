namespace DataPatterns.Sharding;

/// <summary>
/// What moves when a bucketed shard set changes topology: each bucket whose owner changes, grouped by (from, to).
/// Shards are matched by name between the two topologies. Made by <see cref="Create"/>; carried out by
/// <see cref="BucketMover"/> (copy, switch, clean up).
/// </summary>
public sealed class ReshardingPlan
{
    private ReshardingPlan(VirtualBucketMap current, VirtualBucketMap next, IReadOnlyList<BucketMoveGroup> moves)
    {
        Current = current;
        Next = next;
        Moves = moves;
    }

    /// <summary>The topology data lives in now.</summary>
    public VirtualBucketMap Current { get; }

    /// <summary>The topology after the move.</summary>
    public VirtualBucketMap Next { get; }

    /// <summary>The moves, one group per (source shard, destination shard), in a stable order.</summary>
    public IReadOnlyList<BucketMoveGroup> Moves { get; }

    /// <summary>The number of buckets that change owner.</summary>
    public int MovedBucketCount => Moves.Sum(m => m.Buckets.Count);

    /// <summary>The share of all buckets (and so, on average, of keys) that moves.</summary>
    public double MovedFraction => (double)MovedBucketCount / Current.BucketCount;

    /// <summary>Compares two bucket maps of the same bucket count.</summary>
    /// <exception cref="ArgumentException">The bucket counts differ: a key's bucket would change, so the move would be every row.</exception>
    public static ReshardingPlan Create(VirtualBucketMap current, VirtualBucketMap next)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        if (current.BucketCount != next.BucketCount)
        {
            throw new ArgumentException(
                $"The bucket count changes from {current.BucketCount} to {next.BucketCount}; a key's bucket depends on the count, so every row would move. Keep the bucket count and move buckets instead.",
                nameof(next));
        }

        var groups = new SortedDictionary<(string From, string To), List<int>>();
        for (var bucket = 0; bucket < current.BucketCount; bucket++)
        {
            var from = current.OwnerOf(bucket);
            var to = next.OwnerOf(bucket);
            if (!string.Equals(from.Name, to.Name, StringComparison.Ordinal))
            {
                if (!groups.TryGetValue((from.Name, to.Name), out var buckets))
                {
                    groups[(from.Name, to.Name)] = buckets = [];
                }

                buckets.Add(bucket);
            }
        }

        var moves = groups.Select(g => new BucketMoveGroup(
                current.Shards.First(s => s.Name == g.Key.From),
                next.Shards.First(s => s.Name == g.Key.To),
                g.Value))
            .ToList();
        return new ReshardingPlan(current, next, moves);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{MovedBucketCount} of {Current.BucketCount} buckets move ({MovedFraction:P1}): "
        + string.Join(", ", Moves.Select(m => $"{m.From.Name} → {m.To.Name}: {m.Buckets.Count}"));
}
