using Microsoft.Extensions.Options;

namespace DataPatterns.Sharding;

/// <summary>Checks a shard set's options at start-up; every message names the set, the setting and the fix.</summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
internal sealed class ShardSetOptionsValidator<TKey> : IValidateOptions<ShardSetOptions<TKey>>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ShardSetOptions<TKey> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var set = name ?? Options.DefaultName;
        var problems = new List<string>();
        CollectShards(set, options, problems);
        if (options.Strategy == ShardingStrategy.VirtualBuckets)
        {
            CollectBuckets(set, options, problems);
        }

        CollectStrategy(set, options, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>At least one shard; names present and unique; weights positive and finite.</summary>
    private static void CollectShards(string set, ShardSetOptions<TKey> options, List<string> problems)
    {
        if (options.Shards.Count == 0)
        {
            problems.Add($"Shard set '{set}' has no shards; add at least one with options.AddShard(\"name\").");
        }

        foreach (var shard in options.Shards)
        {
            if (string.IsNullOrWhiteSpace(shard.Name))
            {
                problems.Add($"Shard set '{set}' has a shard with no name; every shard needs a stable, unique name.");
            }

            if (!(shard.Weight > 0) || double.IsInfinity(shard.Weight))
            {
                problems.Add($"Shard set '{set}': shard '{shard.Name}' has weight {shard.Weight}; weights must be positive finite numbers (1 is the default).");
            }
        }

        foreach (var duplicate in options.Shards.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"Shard set '{set}' lists shard '{duplicate.Key}' {duplicate.Count()} times; shard names must be unique.");
        }
    }

    /// <summary>The bucket count against the shards, and every explicit assignment.</summary>
    private static void CollectBuckets(string set, ShardSetOptions<TKey> options, List<string> problems)
    {
        if (options.BucketCount <= 0)
        {
            problems.Add($"Shard set '{set}': BucketCount is {options.BucketCount}; it must be a positive number (1024 is the default), fixed for the life of the data.");
        }
        else if (options.BucketCount < options.Shards.Count)
        {
            problems.Add($"Shard set '{set}': BucketCount {options.BucketCount} is below the {options.Shards.Count} shards; every shard needs at least one bucket, so raise BucketCount (to 64 per shard or more).");
        }

        var names = options.Shards.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (bucket, shard) in options.BucketAssignments)
        {
            if (bucket < 0 || bucket >= options.BucketCount)
            {
                problems.Add($"Shard set '{set}': BucketAssignments names bucket {bucket}, but buckets are numbered 0 to {options.BucketCount - 1}.");
            }

            if (!names.Contains(shard))
            {
                problems.Add($"Shard set '{set}': BucketAssignments puts bucket {bucket} on '{shard}', which is not in the shard list.");
            }
        }
    }

    /// <summary>What each other strategy needs: ring nodes, unweighted jump hash, ranges, a directory's refresh and fallback, a key encoding.</summary>
    private static void CollectStrategy(string set, ShardSetOptions<TKey> options, List<string> problems)
    {
        if (options.Strategy == ShardingStrategy.ConsistentHashRing && options.VirtualNodesPerShard <= 0)
        {
            problems.Add($"Shard set '{set}': VirtualNodesPerShard is {options.VirtualNodesPerShard}; it must be positive (4000 is the default).");
        }

        if (options.Strategy == ShardingStrategy.JumpHash && options.Shards.Any(s => s.Weight != 1))
        {
            problems.Add($"Shard set '{set}': JumpHash cannot weight shards; use ConsistentHashRing, Rendezvous or VirtualBuckets for weights, or set every weight to 1.");
        }

        if (options.Strategy == ShardingStrategy.Range)
        {
            problems.AddRange(ShardRangeRules.Check(set, options.Shards.Select(s => s.Name).ToArray(), options.Ranges.ToList(), options.KeyComparer ?? Comparer<TKey>.Default));
        }

        if (options.Strategy == ShardingStrategy.Directory)
        {
            if (options.DirectoryRefreshInterval <= TimeSpan.Zero)
            {
                problems.Add($"Shard set '{set}': DirectoryRefreshInterval is {options.DirectoryRefreshInterval}; it must be positive.");
            }

            if (options.DirectoryFallback is ShardingStrategy.Directory or ShardingStrategy.Range)
            {
                problems.Add($"Shard set '{set}': DirectoryFallback must be a hash strategy (Modulo, JumpHash, ConsistentHashRing, Rendezvous or VirtualBuckets), not {options.DirectoryFallback}.");
            }
        }

        if (options.Strategy is not (ShardingStrategy.Range or ShardingStrategy.Directory) && options.KeyHasher is null && ShardKeyHasher<TKey>.Default is null)
        {
            problems.Add($"Shard set '{set}': keys of type '{typeof(TKey).Name}' have no built-in stable encoding; set KeyHasher to an IShardKeyHasher<{typeof(TKey).Name}>.");
        }
    }
}
