namespace DataPatterns.Sharding;

/// <summary>
/// One or more shards failed a scatter-gather query, so the result would be incomplete. The message and
/// <see cref="Failures"/> name each shard and its error; retry, or opt in to partial results.
/// </summary>
public sealed class ShardQueryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ShardQueryException(string shardSetName, IReadOnlyList<ShardFailure> failures)
        : base(BuildMessage(shardSetName, failures), failures is { Count: > 0 } ? failures[0].Error : null)
    {
        ShardSetName = shardSetName;
        Failures = failures;
    }

    /// <summary>The shard set that was queried.</summary>
    public string ShardSetName { get; }

    /// <summary>The shards that failed, with their errors.</summary>
    public IReadOnlyList<ShardFailure> Failures { get; }

    private static string BuildMessage(string shardSetName, IReadOnlyList<ShardFailure> failures) =>
        $"Scatter-gather on shard set '{shardSetName}' failed on {failures.Count} shard(s): "
        + string.Join("; ", failures.Select(f => $"'{f.Shard.Name}': {f.Error.Message}"))
        + ". The result would be incomplete, so none is returned; retry, or set ScatterGatherOptions.AllowPartialResults to accept partial results.";
}
