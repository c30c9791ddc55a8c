using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching;

// Batch loads: the memory level first, then, MaxBatchSize keys at a time, every L2 read sent before any is awaited (the
// store pipelines them into one round trip) and one loader call for the misses. Each key is claimed in the in-flight table as a
// single read claims it, so single reads and overlapping batches join a key's load instead of loading it again.
internal sealed partial class Cache<TKey, TValue>
{
    /// <summary>How many single loads a batch runs at once when the cache has no batch loader.</summary>
    private const int SingleLoadsInParallel = 16;

    public async ValueTask<IReadOnlyDictionary<TKey, TValue?>> GetOrLoadManyAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        var requested = ValidateKeys(keys);
        var result = new Dictionary<TKey, TValue?>(requested.Count);
        var owned = new List<BatchItem>();
        var joined = new List<(TKey Key, LoadOperation Operation)>();
        foreach (var (key, formatted) in requested)
        {
            if (TryHitMemory(key, out var value))
            {
                result[key] = value;
                continue;
            }

            if (_memory is not null)
            {
                _metrics.Misses.Add(1, _cacheTag, _l1Tag);
            }

            Claim(key, formatted, owned, joined);
        }

        if (owned.Count > 0)
        {
            // The batch's loads outlive a cancelled caller: other readers may have joined them.
            var work = LoadOwnedAsync(owned);
            await (cancellationToken.CanBeCanceled ? work.WaitAsync(cancellationToken) : work).ConfigureAwait(false);
        }

        foreach (var (key, operation) in joined)
        {
            result[key] = await operation.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var item in owned)
        {
            result[item.Key] = await item.Operation.Task.ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>The distinct keys, each checked and formatted, before anything is claimed (a bad key claims nothing).</summary>
    private List<(TKey Key, string Formatted)> ValidateKeys(IEnumerable<TKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var seen = new HashSet<TKey>();
        var distinct = new List<(TKey, string)>();
        foreach (var key in keys)
        {
            var formatted = ValidateKey(key);
            if (seen.Add(key))
            {
                distinct.Add((key, formatted));
            }
        }

        return distinct;
    }

    /// <summary>Joins the load running for <paramref name="key"/>, or claims the key for this batch.</summary>
    private void Claim(TKey key, string formatted, List<BatchItem> owned, List<(TKey, LoadOperation)> joined)
    {
        var (created, running) = ClaimOrJoin(key, loader: null);
        if (running is not null)
        {
            _metrics.StampedesMerged.Add(1, _cacheTag);
            joined.Add((key, running));
        }
        else
        {
            owned.Add(new BatchItem(key, formatted, created!, _memory?.Peek(key)));
        }
    }

    /// <summary>Settles every claimed key (a value, or the failure its readers get) and releases its claim.</summary>
    private async Task LoadOwnedAsync(List<BatchItem> items)
    {
        using var activity = CachingMetrics.ActivitySource.StartActivity("cache.load_many");
        activity?.SetTag("datapatterns.cache.name", Name);
        activity?.SetTag("datapatterns.cache.batch_size", items.Count);
        // A chunk at a time: however many keys the caller passes, at most MaxBatchSize reads are in flight, and a
        // chunk's keys are released as soon as it is settled (a single read of one of them need not wait for the rest).
        foreach (var chunk in items.Chunk(_options.Loading.MaxBatchSize))
        {
            try
            {
                var misses = await ReadDistributedAsync(ReuseMemory(chunk)).ConfigureAwait(false);
                await LoadMissesAsync(ServePendingWrites(misses), activity).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                foreach (var item in chunk)
                {
                    item.Operation.TrySetException(ex); // settles only the keys nothing settled yet
                }
            }
            finally
            {
                foreach (var item in chunk)
                {
                    _inFlight.TryRemove(new KeyValuePair<TKey, LoadOperation>(item.Key, item.Operation));
                }
            }
        }
    }

    /// <summary>The keys a load that just finished has not stored in memory meanwhile.</summary>
    private List<BatchItem> ReuseMemory(BatchItem[] items)
    {
        var left = new List<BatchItem>(items.Length);
        foreach (var item in items)
        {
            if (TryReuseMemory(item.Observed, refreshOf: null, out var value))
            {
                item.Operation.TrySetResult(value);
            }
            else
            {
                left.Add(item);
            }
        }

        return left;
    }

    /// <summary>Reads the keys from L2, all sent before the first answer is awaited; returns the misses.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012", Justification = "Every read is started first and then awaited exactly once, in order.")]
    private async ValueTask<List<BatchItem>> ReadDistributedAsync(List<BatchItem> items)
    {
        if (_distributed is null || items.Count == 0)
        {
            return items;
        }

        var reads = new ValueTask<DistributedEntry<TValue>?>[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            reads[i] = AwaitsRepair(items[i].Formatted) ? default : _distributed.GetAsync(items[i].Formatted, CancellationToken.None);
        }

        var misses = new List<BatchItem>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var read = JudgeDistributed(item.Key, await reads[i].ConfigureAwait(false), item.Operation, item.Observed);
            if (read.Hit)
            {
                item.Operation.TrySetResult(read.Value);
                continue;
            }

            item.Stale = read.Stale;
            _metrics.Misses.Add(1, _cacheTag, _l2Tag);
            misses.Add(item);
        }

        return misses;
    }

    /// <summary>Settles the keys with a write-back write still queued (newer than the database); returns the rest.</summary>
    private List<BatchItem> ServePendingWrites(List<BatchItem> items)
    {
        if (_writeBack is null)
        {
            return items;
        }

        var left = new List<BatchItem>(items.Count);
        foreach (var item in items)
        {
            if (TryPendingWrite(item.Key, item.Operation, item.Observed, out var pending))
            {
                item.Operation.TrySetResult(pending);
            }
            else
            {
                left.Add(item);
            }
        }

        return left;
    }

    /// <summary>Loads the misses of one chunk: one batch loader call, or single loads side by side.</summary>
    private async Task LoadMissesAsync(List<BatchItem> items, Activity? activity)
    {
        if (items.Count == 0)
        {
            return;
        }

        if (_batchLoaderFactory is not null)
        {
            await LoadChunkAsync([.. items], activity).ConfigureAwait(false);
            return;
        }

        if (_loaderFactory is null)
        {
            items.ForEach(item => item.Operation.TrySetResult(default));
            return;
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = SingleLoadsInParallel };
        await Parallel.ForEachAsync(items, parallel, (item, _) => LoadOneAsync(item, activity)).ConfigureAwait(false);
    }

    private async ValueTask LoadOneAsync(BatchItem item, Activity? activity)
    {
        try
        {
            var (loaded, value, entry) = await LoadOrFallBackAsync(item.Key, item.Observed, item.Stale, null, item.Operation, activity).ConfigureAwait(false);
            if (loaded)
            {
                await StoreLoadedAsync(item.Key, item.Formatted, value, item.Observed, item.Operation, entry!).ConfigureAwait(false);
            }

            item.Operation.TrySetResult(value);
        }
        catch (Exception ex)
        {
            item.Operation.TrySetException(ex);
        }
    }

    /// <summary>One batch loader call; each key then stored (all L2 writes sent together) and settled.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012", Justification = "Every store is started first and then awaited exactly once, in order.")]
    private async Task LoadChunkAsync(BatchItem[] chunk, Activity? activity)
    {
        IReadOnlyDictionary<TKey, TValue> values;
        var loaded = CacheSettings with { StartedAtMs = NowMs() }; // entries dated by the load's start, as single loads are
        try
        {
            values = await LoadBatchWithTimeoutAsync(chunk).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FailChunk(chunk, ex, activity);
            return;
        }

        var stores = new ValueTask[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            var found = values.TryGetValue(chunk[i].Key, out var value);
            _metrics.Loads.Add(1, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.outcome", found && value is not null ? "success" : "not_found"));
            stores[i] = StoreAndSettleAsync(chunk[i], found ? value : default, loaded);
        }

        foreach (var store in stores)
        {
            await store.ConfigureAwait(false);
        }
    }

    private async ValueTask StoreAndSettleAsync(BatchItem item, TValue? value, LoadedEntry loaded)
    {
        await StoreLoadedAsync(item.Key, item.Formatted, value, item.Observed, item.Operation, loaded).ConfigureAwait(false);
        item.Operation.TrySetResult(value);
    }

    /// <summary>A failed batch: each key gets its fail-safe value when it has one, else the load failure.</summary>
    private void FailChunk(BatchItem[] chunk, Exception exception, Activity? activity)
    {
        var timedOut = exception is TimeoutException;
        _metrics.Loads.Add(chunk.Length, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.outcome", timedOut ? "timeout" : "failure"));
        activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
        CachingLog.LoadFailed(_logger, Name, exception);
        foreach (var item in chunk)
        {
            if (TryFailSafe(item.Observed, item.Stale, out var fallback))
            {
                item.Operation.TrySetResult(fallback);
            }
            else
            {
                item.Operation.TrySetException(LoadFailure(exception, timedOut));
            }
        }
    }

    /// <summary>Runs the batch loader, in a scope of its own, under the load timeout.</summary>
    private async Task<IReadOnlyDictionary<TKey, TValue>> LoadBatchWithTimeoutAsync(BatchItem[] chunk)
    {
        using var timeout = new CancellationTokenSource(_options.Loading.Timeout, _time);
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var loader = _batchLoaderFactory!(scope.ServiceProvider);
            var keys = Array.ConvertAll(chunk, item => item.Key);
            try
            {
                return await loader.LoadManyAsync(keys, timeout.Token).AsTask().WaitAsync(_options.Loading.Timeout, _time).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"The batch loader of cache '{Name}' returned null; return an empty dictionary when no key exists.");
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"The batch loader of cache '{Name}' did not answer within {_options.Loading.Timeout}.");
            }
        }
    }

    /// <summary>One claimed key of a batch, and what the batch learned about it on the way.</summary>
    private sealed class BatchItem(TKey key, string formatted, LoadOperation operation, MemoryEntry<TValue>? observed)
    {
        public TKey Key { get; } = key;

        public string Formatted { get; } = formatted;

        public LoadOperation Operation { get; } = operation;

        public MemoryEntry<TValue>? Observed { get; } = observed;

        public DistributedEntry<TValue>? Stale { get; set; }
    }
}
