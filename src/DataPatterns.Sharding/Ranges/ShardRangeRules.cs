namespace DataPatterns.Sharding;

/// <summary>The checks a list of ranges must pass, shared by the resolver and the options validator.</summary>
internal static class ShardRangeRules
{
    public static List<string> Check<TKey>(string shardSetName, IReadOnlyCollection<string> shardNames, List<ShardRange<TKey>> ranges, IComparer<TKey> comparer)
    {
        var problems = new List<string>();
        if (ranges.Count == 0)
        {
            problems.Add($"Shard set '{shardSetName}': the range strategy needs at least one range; add ShardRange<{typeof(TKey).Name}>.Between(...) or .StartingAt(...).");
            return problems;
        }

        foreach (var range in ranges)
        {
            if (!shardNames.Contains(range.Shard))
            {
                problems.Add($"Shard set '{shardSetName}': range {range} names shard '{range.Shard}', which is not in the shard list ({string.Join(", ", shardNames)}).");
            }

            if (!range.IsOpenEnded && comparer.Compare(range.From, range.To!) >= 0)
            {
                problems.Add($"Shard set '{shardSetName}': range {range} is empty; 'To' must be greater than 'From'.");
            }
        }

        var sorted = ranges.OrderBy(r => r.From, comparer).ToList();
        for (var i = 0; i < sorted.Count - 1; i++)
        {
            var current = sorted[i];
            var next = sorted[i + 1];
            if (current.IsOpenEnded)
            {
                problems.Add($"Shard set '{shardSetName}': range {current} is open-ended but {next} comes after it; only the last range may be open-ended.");
                continue;
            }

            var order = comparer.Compare(current.To!, next.From);
            if (order > 0)
            {
                problems.Add($"Shard set '{shardSetName}': ranges {current} and {next} overlap; make each range start where the previous one ends.");
            }
            else if (order < 0)
            {
                problems.Add($"Shard set '{shardSetName}': there is a gap between {current} and {next}; keys from {current.To} to {next.From} would have no shard. Make each range start where the previous one ends.");
            }
        }

        return problems;
    }
}
