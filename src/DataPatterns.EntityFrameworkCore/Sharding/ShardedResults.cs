using DataPatterns.Sharding;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>One page of rows merged from every shard in one order.</summary>
/// <param name="Rows">The rows at positions [<paramref name="Skip"/>, <paramref name="Skip"/> + <paramref name="Take"/>) of the merged order.</param>
/// <param name="Skip">The rows skipped before the page.</param>
/// <param name="Take">The page size asked for (<paramref name="Rows"/> is shorter on the last page).</param>
/// <param name="Failures">The shards that failed (only with <see cref="ScatterGatherOptions.AllowPartialResults"/>); their rows are missing.</param>
public sealed record ShardedPage<T>(IReadOnlyList<T> Rows, int Skip, int Take, IReadOnlyList<ShardFailure> Failures)
{
    /// <summary>True when some shard failed and the page may miss its rows.</summary>
    public bool IsPartial => Failures.Count > 0;
}

/// <summary>An aggregate combined from every shard's own aggregate.</summary>
/// <param name="Value">The combined value.</param>
/// <param name="Failures">The shards that failed (only with <see cref="ScatterGatherOptions.AllowPartialResults"/>); the value leaves them out.</param>
public sealed record ShardedAggregate<TValue>(TValue Value, IReadOnlyList<ShardFailure> Failures)
{
    /// <summary>True when some shard failed and the value leaves it out.</summary>
    public bool IsPartial => Failures.Count > 0;
}
