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
        var shards = SelectShards(map, options);
        using var activity = ShardingMetrics.ActivitySource.StartActivity("scatter-gather " + map.ShardSetName);
        activity?.SetTag("datapatterns.sharding.shard_set", map.ShardSetName);
        activity?.SetTag("datapatterns.sharding.shard_count", shards.Length);

        var rows = new IReadOnlyList<T>?[shards.Length];
        var errors = new Exception?[shards.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, shards.Length),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Min(options.MaxParallelism, Math.Max(1, shards.Length)), CancellationToken = cancellationToken },
            async (i, token) => (rows[i], errors[i]) = await QueryShardAsync(map, shards[i], query, options, token).ConfigureAwait(false)).ConfigureAwait(false);

        var result = Gather(shards, rows, errors);
        if (result.Failures.Count > 0)
        {
            activity?.SetStatus(ActivityStatusCode.Error, $"{result.Failures.Count} shard(s) failed");
            if (!options.AllowPartialResults)
            {
                throw new ShardQueryException(map.ShardSetName, result.Failures);
            }
        }

        return result;
    }

    /// <summary>The shards to ask, in index order; refuses a shard of another set, whose index would pick the wrong target.</summary>
    private static Shard[] SelectShards<TTarget>(ShardMap<TTarget> map, ScatterGatherOptions options)
    {
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

        return shards;
    }

    /// <summary>One shard's part, within the per-shard timeout: its rows, or what went wrong (never thrown, unless the whole call is cancelled).</summary>
    private static async Task<(IReadOnlyList<T>? Rows, Exception? Error)> QueryShardAsync<TTarget, T>(
        ShardMap<TTarget> map, Shard shard, Func<TTarget, Shard, CancellationToken, Task<IReadOnlyList<T>>> query, ScatterGatherOptions options, CancellationToken token)
    {
        var timeProvider = options.TimeProvider ?? TimeProvider.System;
        var started = timeProvider.GetTimestamp();
        Exception? error = null;

        // The timeout runs on the TimeProvider so tests can drive it with a fake clock.
        using var timeout = options.PerShardTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(options.PerShardTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        try
        {
            return (await query(map[shard], shard, linked.Token).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The query returned null for shard '{shard.Name}'; return an empty list instead."), null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            error = new TimeoutException($"Shard '{shard.Name}' did not answer within {options.PerShardTimeout}.");
            return (null, error);
        }
        catch (Exception ex) when (!token.IsCancellationRequested)
        {
            error = ex;
            return (null, error);
        }
        finally
        {
            map.Metrics.RecordShardQuery(map.ShardSetName, shard, timeProvider.GetElapsedTime(started), error is not null);
        }
    }

    private static ScatterGatherResult<T> Gather<T>(Shard[] shards, IReadOnlyList<T>?[] rows, Exception?[] errors)
    {
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

        return new ScatterGatherResult<T>(perShard, failures);
    }
}
