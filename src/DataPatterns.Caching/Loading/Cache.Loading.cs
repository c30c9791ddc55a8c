using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching;

// Loading: one load per key in this process (the in-flight table is the stampede protection), one across processes
// (the distributed lock), the loader with its timeout, fail-safe on failure, and storing what was loaded.
internal sealed partial class Cache<TKey, TValue>
{
    /// <summary>
    /// A memory miss: joins the load running for the key or runs one (no async frame of its own). A load it runs calls
    /// <paramref name="loader"/> when given (a caller's own, as the HybridCache adapter passes), else the registered one.
    /// </summary>
    private ValueTask<TValue?> GetOrLoadSlowAsync(TKey key, ICacheLoader<TKey, TValue>? loader, CancellationToken cancellationToken)
    {
        string formatted;
        try
        {
            formatted = ValidateKey(key);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<TValue?>(ex);
        }

        if (_memory is not null)
        {
            _metrics.Misses.Add(1, _cacheTag, _l1Tag);
        }

        var (created, running) = ClaimOrJoin(key, loader);
        if (running is not null)
        {
            _metrics.StampedesMerged.Add(1, _cacheTag);
            return new ValueTask<TValue?>(running.Task.WaitAsync(cancellationToken));
        }

        if (_options.Loading.SoftTimeout is not null)
        {
            // The load may outlive its waiters (they get a stale value at the soft timeout): it runs on its own.
            RunInBackground(RunLoadAsync(key, formatted, created!, refreshOf: null));
            return new ValueTask<TValue?>(created!.Task.WaitAsync(cancellationToken));
        }

        // The first reader runs the load itself (no hop through the shared completion); later ones wait for it.
        var load = RunLoadAsync(key, formatted, created!, refreshOf: null);
        return cancellationToken.CanBeCanceled && !load.IsCompleted
            ? new ValueTask<TValue?>(load.AsTask().WaitAsync(cancellationToken))
            : load;
    }

    /// <summary>
    /// Claims <paramref name="key"/> for a new load (Created), or returns the load to join (Running). A load that a write,
    /// remove or clear invalidated is not joined but replaced: it may bring a value older than that change, which its
    /// own waiters get but a reader arriving after the change must not.
    /// </summary>
    private (LoadOperation? Created, LoadOperation? Running) ClaimOrJoin(TKey key, ICacheLoader<TKey, TValue>? loader)
    {
        LoadOperation? created = null;
        while (true)
        {
            if (_inFlight.TryGetValue(key, out var running))
            {
                if (!running.Invalidated)
                {
                    return (null, running);
                }

                if (_inFlight.TryUpdate(key, created ??= new LoadOperation { Loader = loader }, running))
                {
                    return (created, null);
                }
            }
            else if (_inFlight.TryAdd(key, created ??= new LoadOperation { Loader = loader }))
            {
                return (created, null);
            }
        }
    }

    /// <summary>A load nobody awaits: its failure has reached its waiters through the operation, so it is only observed here.</summary>
    private static void RunInBackground(ValueTask<TValue?> load) =>
        _ = load.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Runs one load for every waiter of <paramref name="operation"/>; returns (or throws) what the waiters get.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TValue?> RunLoadAsync(TKey key, string formatted, LoadOperation operation, MemoryEntry<TValue>? refreshOf)
    {
        using var activity = CachingMetrics.ActivitySource.StartActivity("cache.load");
        activity?.SetTag("datapatterns.cache.name", Name);
        IAsyncDisposable? distributedLock = null;
        try
        {
            var observed = _memory?.Peek(key);
            if (TryReuseMemory(observed, refreshOf, out var reused))
            {
                return Complete(operation, reused);
            }

            DistributedEntry<TValue>? stale = null;
            var useDistributed = _distributed is not null && refreshOf is null && !AwaitsRepair(formatted);
            if (useDistributed)
            {
                var remote = await _distributed!.GetAsync(formatted, CancellationToken.None).ConfigureAwait(false);
                var read = JudgeDistributed(key, remote, operation, observed);
                if (read.Hit)
                {
                    return Complete(operation, read.Value);
                }

                stale = read.Stale;
                _metrics.Misses.Add(1, _cacheTag, _l2Tag);
            }

            if (TryPendingWrite(key, operation, observed, out var pendingValue))
            {
                return Complete(operation, pendingValue);
            }

            if (_loaderFactory is null && operation.Loader is null)
            {
                return Complete(operation, default);
            }

            if (_options.Loading.UseDistributedLock && _distributedLock is not null && _distributed is not null && refreshOf is null && !AwaitsRepair(formatted))
            {
                distributedLock = await AcquireLoadLockAsync(formatted).ConfigureAwait(false);

                // Another instance may have loaded it while this one waited for the lock.
                var remote = await _distributed.GetAsync(formatted, CancellationToken.None).ConfigureAwait(false);
                var read = JudgeDistributed(key, remote, operation, observed);
                if (read.Hit)
                {
                    return Complete(operation, read.Value);
                }

                stale ??= read.Stale;
            }

            var (loaded, value, context) = await LoadOrFallBackAsync(key, observed, stale, refreshOf, operation, activity).ConfigureAwait(false);
            if (loaded)
            {
                await StoreLoadedAsync(key, formatted, value, observed, operation, context!).ConfigureAwait(false);
            }

            return Complete(operation, value);
        }
        catch (Exception ex)
        {
            operation.TrySetException(ex);
            if (refreshOf is not null)
            {
                return default; // nobody waits for a background refresh; the failure is logged and counted
            }

            throw;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<TKey, LoadOperation>(key, operation));
            await ReleaseLoadLockAsync(distributedLock).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True when the memory level already answers: a load that just finished stored a live value, or (for a refresh)
    /// the entry being refreshed was replaced meanwhile, so there is nothing to refresh.
    /// </summary>
    private bool TryReuseMemory(MemoryEntry<TValue>? observed, MemoryEntry<TValue>? refreshOf, out TValue? value)
    {
        value = default;
        if (refreshOf is null && observed is not null && _clock.Now() < observed.ExpiresAt)
        {
            value = observed.Value;
            return true;
        }

        return refreshOf is not null && !ReferenceEquals(observed, refreshOf);
    }

    /// <summary>A value written but not flushed yet: the writer's copy in the database is older than this one.</summary>
    private bool TryPendingWrite(TKey key, LoadOperation operation, MemoryEntry<TValue>? observed, out TValue value)
    {
        if (_writeBack is null || !_writeBack.TryGetPending(key, out value))
        {
            value = default!;
            return false;
        }

        if (!operation.Invalidated)
        {
            _memory?.SetIfUnchanged(key, CreateMemoryEntry(value, isNotFound: false, tags: null), observed);
        }

        return true;
    }

    /// <summary>
    /// Runs the loader. Loaded is false when nothing is to be stored: a background refresh that failed (the old entry
    /// stays), or a fail-safe value served in place of a failed load. Throws <see cref="CacheLoadException"/> when the
    /// load failed and no fail-safe value exists.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(bool Loaded, TValue? Value, LoadedEntry? Entry)> LoadOrFallBackAsync(TKey key, MemoryEntry<TValue>? observed, DistributedEntry<TValue>? stale, MemoryEntry<TValue>? refreshOf, LoadOperation operation, Activity? activity)
    {
        try
        {
            var (value, entry) = await LoadWithSoftTimeoutAsync(key, observed, stale, refreshOf, operation).ConfigureAwait(false);
            _metrics.Loads.Add(1, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.outcome", value is null ? "not_found" : "success"));
            return (true, value, entry);
        }
        catch (Exception ex)
        {
            var timedOut = ex is TimeoutException;
            _metrics.Loads.Add(1, _cacheTag, new KeyValuePair<string, object?>("datapatterns.cache.outcome", timedOut ? "timeout" : "failure"));
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            CachingLog.LoadFailed(_logger, Name, ex);
            if (refreshOf is not null)
            {
                CachingLog.RefreshFailed(_logger, Name, ex);
                Volatile.Write(ref refreshOf.Refreshing, 0);

                // Nobody waits for a refresh, unless a reader whose copy expired meanwhile joined it: that reader gets
                // what a failed load gives (a fail-safe value, or the failure), never a default it would take for "not found".
                if (TryFindStale(observed, stale, out var staleValue, out _))
                {
                    operation.TrySetResult(staleValue);
                }
                else
                {
                    operation.TrySetException(LoadFailure(ex, timedOut));
                }

                return (false, default, null);
            }

            if (TryFailSafe(observed, stale, out var fallback))
            {
                return (false, fallback, null);
            }

            throw LoadFailure(ex, timedOut);
        }
    }

    /// <summary>What a reader gets when the load failed and no fail-safe value exists.</summary>
    private CacheLoadException LoadFailure(Exception exception, bool timedOut) =>
        new(
            timedOut
                ? $"Cache '{Name}': the loader did not answer within {_options.Loading.Timeout} and no fail-safe value was available. Check the database, or raise Loading.Timeout / enable FailSafe."
                : $"Cache '{Name}': the loader failed ({exception.Message}) and no fail-safe value was available. Check the database, or enable FailSafe to serve recently expired values meanwhile.",
            exception)
        { CacheName = Name, TimedOut = timedOut };

    private static TValue? Complete(LoadOperation operation, TValue? value)
    {
        operation.TrySetResult(value);
        return value;
    }

    /// <summary>
    /// The load, and with a soft timeout: when a stale value may be served and the loader has not answered in time, the
    /// waiters get that value now, and the load goes on to its hard timeout to store what it brings.
    /// </summary>
    private async Task<(TValue? Value, LoadedEntry Entry)> LoadWithSoftTimeoutAsync(TKey key, MemoryEntry<TValue>? observed, DistributedEntry<TValue>? stale, MemoryEntry<TValue>? refreshOf, LoadOperation operation)
    {
        var load = LoadWithTimeoutAsync(key, operation.Loader);
        if (_options.Loading.SoftTimeout is not { } soft || refreshOf is not null || load.IsCompleted || !TryFindStale(observed, stale, out _, out _))
        {
            return await load.ConfigureAwait(false);
        }

        using (var delay = new CancellationTokenSource())
        {
            var first = await Task.WhenAny(load, Task.Delay(soft, _time, delay.Token)).ConfigureAwait(false);
            await delay.CancelAsync().ConfigureAwait(false);
            if (first != load && TryFailSafe(observed, stale, out var fallback))
            {
                _metrics.SoftTimeouts.Add(1, _cacheTag);
                operation.TrySetResult(fallback);
            }
        }

        return await load.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the loader under the load timeout; its result, with what it decided about the entry (tags checked here, so a
    /// bad tag fails the load). A caller's own loader runs as given; the registered one in a scope of its own.
    /// </summary>
    private async Task<(TValue? Value, LoadedEntry Entry)> LoadWithTimeoutAsync(TKey key, ICacheLoader<TKey, TValue>? own)
    {
        using var timeout = new CancellationTokenSource(_options.Loading.Timeout, _time);
        if (own is not null)
        {
            return await RunLoaderAsync(own, key, timeout).ConfigureAwait(false);
        }

        // Only the registered loader gets a scope: a default AsyncServiceScope cannot be disposed (it throws).
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            return await RunLoaderAsync(_loaderFactory!(scope.ServiceProvider), key, timeout).ConfigureAwait(false);
        }
    }

    private async Task<(TValue? Value, LoadedEntry Entry)> RunLoaderAsync(ICacheLoader<TKey, TValue> loader, TKey key, CancellationTokenSource timeout)
    {
        var context = new CacheLoadContext();
        var startedAt = NowMs();
        var load = loader.LoadAsync(key, context, timeout.Token).AsTask();
        TValue? value;
        try
        {
            value = await load.WaitAsync(_options.Loading.Timeout, _time).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The loader of cache '{Name}' did not answer within {_options.Loading.Timeout}.");
        }

        return (value, new LoadedEntry(context.Duration, ValidateTags(context.Tags), context.DoNotCache, context.MemoryDuration, startedAt));
    }

    private async ValueTask StoreLoadedAsync(TKey key, string formatted, TValue? value, MemoryEntry<TValue>? observed, LoadOperation operation, LoadedEntry loaded)
    {
        var isNotFound = value is null;
        if (loaded.DoNotCache || (isNotFound && loaded.Duration is null && _options.Loading.NotFoundDuration <= TimeSpan.Zero))
        {
            // Gone from the database: drop any expired copy, so fail-safe can never serve it later.
            if (!operation.Invalidated)
            {
                if (observed is not null)
                {
                    _memory?.RemoveIfUnchanged(key, observed);
                }

                if (_distributed is not null && !await _distributed.RemoveAsync(formatted, CancellationToken.None).ConfigureAwait(false))
                {
                    RememberRepair(key, formatted);
                }
            }

            return;
        }

        if (operation.Invalidated)
        {
            return; // a write or remove happened meanwhile: what was loaded may be older
        }

        var lifetime = loaded.Duration ?? Lifetime(isNotFound);
        var entry = CreateMemoryEntry(value, isNotFound, loaded.Tags, MemoryLifetime(lifetime, loaded.MemoryDuration));
        _memory?.SetIfUnchanged(key, entry, observed);
        if (_distributed is not null)
        {
            try
            {
                var (expiresAt, keepUntil) = DistributedTimes(lifetime, loaded.Tags);
                // Dated by when the load began, not when it ended: a tag removal or clear that lands while the loader reads
                // (another instance's commit) is newer than the entry, so the entry reads as removed on every instance.
                var createdAt = loaded.StartedAtMs != 0 ? loaded.StartedAtMs : NowMs();
                var encoded = DistributedEntry<TValue>.Encode(value, isNotFound, expiresAt.ToUnixTimeMilliseconds(), createdAt, loaded.Tags, _valueSerializer);
                if (await _distributed.SetAsync(formatted, encoded, keepUntil, CancellationToken.None).ConfigureAwait(false))
                {
                    StartRepair();
                }
            }
            catch (CacheSerializationException ex)
            {
                _metrics.LevelErrors.Add(1, _cacheTag, _l2Tag);
                CachingLog.DistributedLevelFailed(_logger, Name, "serialise", ex);
            }
        }
    }

    /// <summary>What the loader decided about the entry (see <see cref="CacheLoadContext"/>), tags already checked.</summary>
    private sealed record LoadedEntry(TimeSpan? Duration, string[]? Tags, bool DoNotCache, TimeSpan? MemoryDuration = null, long StartedAtMs = 0);

    /// <summary>An entry kept by the cache's own settings (a batch loader decides nothing per entry).</summary>
    private static readonly LoadedEntry CacheSettings = new(null, null, false);
}
