using System.Diagnostics;

namespace DataPatterns.Sharding;

/// <summary>Runs one query on many shards in parallel and gathers the answers.</summary>
public static class ScatterGatherExtensions
{
    /// <summary>
    /// Runs <paramref name="query"/> against the target of every shard (or <see cref="ScatterGatherOptions.Shards"/>), at most
    /// <see cref="ScatterGatherOptions.MaxParallelism"/> at once, each within <see cref="ScatterGatherOptions.PerShardTimeout"/>.
    /// </summary>
    /// <exception cref="ShardQueryException">A shard failed or timed out and partial results are not allowed; names every such shard.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<ScatterGatherResult<T>> ScatterGatherAsync<TTarget, T>(
        this ShardMap<TTarget> map,
        Func<TTarget, Shard, CancellationToken, Task<IReadOnlyList<T>>> query,
        ScatterGatherOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(query);
        options ??= new ScatterGatherOptions();
        options.Validate();
        var timeProvider = options.TimeProvider ?? TimeProvider.System;

        var shards = (options.Shards ?? map.Shards).OrderBy(s => s.Index).ToArray();
        foreach (var shard in shards)
        {
            if (!map.Owns(shard))
            {
                throw new ShardSetMismatchException(
                    map.ShardSetName,
                    shard.Name,
                    shard.ShardSetName,
                    $"ScatterGatherOptions.Shards holds shard '{shard.Name}' of set '{shard.ShardSetName}', but the map is of set '{map.ShardSetName}'; list only shards of the map's set (map.Shards, or the resolver of '{map.ShardSetName}').");
            }
        }

        using var activity = ShardingMetrics.ActivitySource.StartActivity("scatter-gather " + map.ShardSetName);
        activity?.SetTag("datapatterns.sharding.shard_set", map.ShardSetName);
        activity?.SetTag("datapatterns.sharding.shard_count", shards.Length);

        var rows = new IReadOnlyList<T>?[shards.Length];
        var errors = new Exception?[shards.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, shards.Length),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.MaxParallelism, Math.Max(1, shards.Length)), CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var shard = shards[i];
                var started = timeProvider.GetTimestamp();
                // The timeout runs on the TimeProvider so tests can drive it with a fake clock.
                using var timeout = options.PerShardTimeout == Timeout.InfiniteTimeSpan
                    ? new CancellationTokenSource()
                    : new CancellationTokenSource(options.PerShardTimeout, timeProvider);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
                try
                {
                    rows[i] = await query(map[shard], shard, linked.Token).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"The query returned null for shard '{shard.Name}'; return an empty list instead.");
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    errors[i] = new TimeoutException($"Shard '{shard.Name}' did not answer within {options.PerShardTimeout}.");
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    errors[i] = ex;
                }
                finally
                {
                    map.Metrics.RecordShardQuery(map.ShardSetName, shard, timeProvider.GetElapsedTime(started), errors[i] is not null);
                }
            }).ConfigureAwait(false);

        var perShard = new List<ShardRows<T>>(shards.Length);
        var failures = new List<ShardFailure>();
        for (var i = 0; i < shards.Length; i++)
        {
            if (errors[i] is { } error)
            {
                failures.Add(new ShardFailure(shards[i], error));
            }
            else
            {
                perShard.Add(new ShardRows<T>(shards[i], rows[i]!));
            }
        }

        if (failures.Count > 0)
        {
            activity?.SetStatus(ActivityStatusCode.Error, $"{failures.Count} shard(s) failed");
            if (!options.AllowPartialResults)
            {
                throw new ShardQueryException(map.ShardSetName, failures);
            }
        }

        return new ScatterGatherResult<T>(perShard, failures);
    }
}
