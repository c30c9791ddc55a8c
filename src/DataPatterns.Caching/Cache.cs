using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataPatterns.Caching;

/// <summary>The cache: memory level, distributed level, loader, writer, write-behind queue, backplane.</summary>
internal sealed partial class Cache<TKey, TValue> : ICache<TKey, TValue>, ICacheInvalidationHandler, ICacheLifecycle, IDisposable
    where TKey : notnull
{
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly MemoryLevel<TKey, TValue>? _memory;
    private readonly DistributedLevel<TValue>? _distributed;
    private readonly ICacheBackplane? _backplane;
    private readonly ICacheDistributedLock? _distributedLock;
    private readonly IServiceScopeFactory _scopes;
    private readonly Func<IServiceProvider, ICacheLoader<TKey, TValue>>? _loaderFactory;
    private readonly Func<IServiceProvider, ICacheWriter<TKey, TValue>>? _writerFactory;
    private readonly IWriteBackQueue<TKey, TValue>? _writeBack;
    private readonly ICacheSerializer<TKey> _keySerializer;
    private readonly ICacheSerializer<TValue> _valueSerializer;
    private readonly CachingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<TKey> _warmUpKeys;
    private readonly ConcurrentDictionary<TKey, LoadOperation> _inFlight = new();
    private readonly IDisposable? _subscription;
    private readonly IDisposable? _queueGauge;
    private readonly WriteBackStatus? _writeBackStatus;
    private readonly WriteBackStartWatch? _writeBackWatch;
    private readonly string _lockPrefix;
    private readonly KeyValuePair<string, object?> _cacheTag;
    private readonly KeyValuePair<string, object?> _l1Tag = new("level", "l1");
    private readonly KeyValuePair<string, object?> _l2Tag = new("level", "l2");
    private readonly MemoryClock _clock;

    public Cache(
        string name,
        CacheOptions options,
        CacheRegistration<TKey, TValue> registration,
        IServiceProvider services,
        string applicationName)
    {
        Name = name;
        _options = options;
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _clock = new MemoryClock(_time);
        _scopes = services.GetRequiredService<IServiceScopeFactory>();
        _metrics = services.GetRequiredService<CachingMetrics>();
        _logger = (services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("DataPatterns.Caching." + name);
        _keySerializer = services.GetService<ICacheSerializer<TKey>>() ?? new JsonCacheSerializer<TKey>();
        _valueSerializer = services.GetService<ICacheSerializer<TValue>>() ?? new JsonCacheSerializer<TValue>();
        _loaderFactory = registration.LoaderFactory;
        _writerFactory = registration.WriterFactory;
        _warmUpKeys = registration.WarmUpKeys;
        _cacheTag = new("cache", name);
        _lockPrefix = CacheKeyLayout.LockPrefix(applicationName, name);

        if (options.Memory.Enabled)
        {
            _memory = new MemoryLevel<TKey, TValue>(_clock, options.Memory.MaxEntries, () => _metrics.Evictions.Add(1, _cacheTag));
        }

        if (options.Distributed.Enabled && services.GetKeyedService<Microsoft.Extensions.Caching.Distributed.IDistributedCache>(CachingServiceKeys.DistributedCache) is { } distributed)
        {
            _distributed = new DistributedLevel<TValue>(distributed, _valueSerializer, _time, options.Distributed.Timeout, applicationName, name, _metrics, _logger);
            _distributedLock = services.GetService<ICacheDistributedLock>();
        }

        if (options.UseBackplane && _memory is not null && services.GetService<ICacheBackplane>() is { } backplane)
        {
            _backplane = backplane;
            _subscription = backplane.Subscribe(this);
        }

        if (options.WriteStrategy == CacheWriteStrategy.WriteBack && _writerFactory is not null)
        {
            _writeBackStatus = new WriteBackStatus(name, options.WriteBack.Capacity);
            _writeBackWatch = new WriteBackStartWatch(_writeBackStatus, _time, _logger);
            var flusher = new WriteBackFlusher<TKey, TValue>(
                name, options.WriteBack, _writerFactory, sp => sp.GetService<IWriteBackDeadLetterHandler<TKey, TValue>>(), _scopes, _metrics, _logger, _time, _writeBackStatus);
            _writeBack = options.WriteBack.Durable
                ? new DurableWriteBackQueue<TKey, TValue>(name, services.GetRequiredService<IWriteBackStore>(), options.WriteBack, flusher, _keySerializer, _valueSerializer, _time, _logger)
                : new MemoryWriteBackQueue<TKey, TValue>(options.WriteBack, flusher, _time);
            var queue = _writeBack;
            _queueGauge = _metrics.ObserveWriteBackQueue(name, () => queue.Depth);
        }
    }

    public string Name { get; }

    internal int MemoryCount => _memory?.Count ?? 0;

    // ---------------------------------------------------------------- reads

    public ValueTask<TValue?> GetOrLoadAsync(TKey key, CancellationToken cancellationToken = default)
    {
        if (_memory is { } memory)
        {
            var entry = memory.TryGetFresh(key, out var now);
            if (entry is not null)
            {
                if (_metrics.Hits.Enabled)
                {
                    _metrics.Hits.Add(1, _cacheTag, _l1Tag);
                }

                if (now >= entry.RefreshAt)
                {
                    StartRefresh(key, entry);
                }

                return new ValueTask<TValue?>(entry.Value);
            }
        }

        return GetOrLoadSlowAsync(key, cancellationToken);
    }

    public async ValueTask<CacheLookup<TValue>> TryGetAsync(TKey key, CancellationToken cancellationToken = default)
    {
        var formatted = ValidateKey(key);
        if (_memory?.TryGetFresh(key, out _) is { } entry)
        {
            _metrics.Hits.Add(1, _cacheTag, _l1Tag);
            return new CacheLookup<TValue>(true, entry.Value);
        }

        if (_distributed is not null && !AwaitsRepair(formatted))
        {
            var observed = _memory?.Peek(key);
            var remote = await _distributed.GetAsync(formatted, cancellationToken).ConfigureAwait(false);
            if (remote is not null && remote.ExpiresAtMs > NowMs() && !TagAwaitsRepair(remote))
            {
                _metrics.Hits.Add(1, _cacheTag, _l2Tag);
                _memory?.SetIfUnchanged(key, FromDistributed(remote), observed);
                return new CacheLookup<TValue>(true, remote.Value);
            }

            _metrics.Misses.Add(1, _cacheTag, _l2Tag);
        }

        return default;
    }

    /// <summary>A memory miss: joins the load running for the key or runs one (no async frame of its own).</summary>
    private ValueTask<TValue?> GetOrLoadSlowAsync(TKey key, CancellationToken cancellationToken)
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

        while (true)
        {
            if (_inFlight.TryGetValue(key, out var running))
            {
                _metrics.StampedesMerged.Add(1, _cacheTag);
                return new ValueTask<TValue?>(running.Task.WaitAsync(cancellationToken));
            }

            var created = new LoadOperation();
            if (_inFlight.TryAdd(key, created))
            {
                // The first reader runs the load itself (no hop through the shared completion); later ones wait for it.
                var load = RunLoadAsync(key, formatted, created, refreshOf: null);
                return cancellationToken.CanBeCanceled && !load.IsCompleted
                    ? new ValueTask<TValue?>(load.AsTask().WaitAsync(cancellationToken))
                    : load;
            }
        }
    }

    private void StartRefresh(TKey key, MemoryEntry<TValue> entry)
    {
        if (Interlocked.CompareExchange(ref entry.Refreshing, 1, 0) != 0 || _loaderFactory is null)
        {
            return;
        }

        var operation = new LoadOperation();
        if (_inFlight.TryAdd(key, operation))
        {
            _ = RunLoadAsync(key, CacheKeyFormatter.Format(key, _keySerializer), operation, refreshOf: entry).AsTask();
        }
    }

    /// <summary>Runs one load for every waiter of <paramref name="operation"/>; returns (or throws) what the waiters get.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TValue?> RunLoadAsync(TKey key, string formatted, LoadOperation operation, MemoryEntry<TValue>? refreshOf)
    {
        using var activity = CachingMetrics.ActivitySource.StartActivity("cache.load");
        activity?.SetTag("cache", Name);
        IAsyncDisposable? distributedLock = null;
        try
        {
            var observed = _memory?.Peek(key);
            if (refreshOf is null && observed is not null && _clock.Now() < observed.ExpiresAt)
            {
                return Complete(operation, observed.Value); // loaded by a load that just finished
            }

            if (refreshOf is not null && !ReferenceEquals(observed, refreshOf))
            {
                return Complete(operation, default); // replaced meanwhile: nothing to refresh
            }

            DistributedEntry<TValue>? stale = null;
            if (_distributed is not null && refreshOf is null && !AwaitsRepair(formatted))
            {
                var remote = await _distributed.GetAsync(formatted, CancellationToken.None).ConfigureAwait(false);
                if (remote is not null && remote.ExpiresAtMs > NowMs() && !TagAwaitsRepair(remote))
                {
                    _metrics.Hits.Add(1, _cacheTag, _l2Tag);
                    if (!operation.Invalidated)
                    {
                        _memory?.SetIfUnchanged(key, FromDistributed(remote), observed);
                    }

                    return Complete(operation, remote.Value);
                }

                stale = remote is not null && TagAwaitsRepair(remote) ? null : remote; // removed by tag: not even fail-safe
                _metrics.Misses.Add(1, _cacheTag, _l2Tag);
            }

            if (_writeBack is not null && _writeBack.TryGetPending(key, out var pendingValue))
            {
                // Written but not flushed yet: the writer's copy is older than this one.
                if (!operation.Invalidated)
                {
                    _memory?.SetIfUnchanged(key, CreateMemoryEntry(pendingValue, isNotFound: false, tags: null), observed);
                }

                return Complete(operation, pendingValue);
            }

            if (_loaderFactory is null)
            {
                return Complete(operation, default);
            }

            if (_options.Loading.UseDistributedLock && _distributedLock is not null && _distributed is not null && refreshOf is null && !AwaitsRepair(formatted))
            {
                try
                {
                    distributedLock = await _distributedLock.TryAcquireAsync(
                        _lockPrefix + formatted, _options.Loading.Timeout + TimeSpan.FromSeconds(1), _options.Loading.DistributedLockWait, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _metrics.LevelErrors.Add(1, _cacheTag, new KeyValuePair<string, object?>("level", "lock"));
                    CachingLog.LockFailed(_logger, Name, ex);
                }

                // Another instance may have loaded it while this one waited for the lock.
                var remote = await _distributed.GetAsync(formatted, CancellationToken.None).ConfigureAwait(false);
                if (remote is not null && remote.ExpiresAtMs > NowMs() && !TagAwaitsRepair(remote))
                {
                    _metrics.Hits.Add(1, _cacheTag, _l2Tag);
                    if (!operation.Invalidated)
                    {
                        _memory?.SetIfUnchanged(key, FromDistributed(remote), observed);
                    }

                    return Complete(operation, remote.Value);
                }

                stale ??= remote is not null && TagAwaitsRepair(remote) ? null : remote;
            }

            TValue? value;
            try
            {
                value = await LoadWithTimeoutAsync(key).ConfigureAwait(false);
                _metrics.Loads.Add(1, _cacheTag, new KeyValuePair<string, object?>("outcome", value is null ? "not_found" : "success"));
            }
            catch (Exception ex)
            {
                var timedOut = ex is TimeoutException;
                _metrics.Loads.Add(1, _cacheTag, new KeyValuePair<string, object?>("outcome", timedOut ? "timeout" : "failure"));
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                CachingLog.LoadFailed(_logger, Name, ex);
                if (refreshOf is not null)
                {
                    CachingLog.RefreshFailed(_logger, Name, ex);
                    Volatile.Write(ref refreshOf.Refreshing, 0);
                    return Complete(operation, default);
                }

                if (TryFailSafe(observed, stale, out var fallback))
                {
                    return Complete(operation, fallback);
                }

                throw new CacheLoadException(
                    timedOut
                        ? $"Cache '{Name}': the loader did not answer within {_options.Loading.Timeout} and no fail-safe value was available. Check the database, or raise Loading.Timeout / enable FailSafe."
                        : $"Cache '{Name}': the loader failed ({ex.Message}) and no fail-safe value was available. Check the database, or enable FailSafe to serve recently expired values meanwhile.",
                    ex)
                { CacheName = Name, TimedOut = timedOut };
            }

            await StoreLoadedAsync(key, formatted, value, observed, operation).ConfigureAwait(false);
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
            if (distributedLock is not null)
            {
                try
                {
                    await distributedLock.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _metrics.LevelErrors.Add(1, _cacheTag, new KeyValuePair<string, object?>("level", "lock"));
                    CachingLog.LockFailed(_logger, Name, ex);
                }
            }
        }
    }

    private static TValue? Complete(LoadOperation operation, TValue? value)
    {
        operation.TrySetResult(value);
        return value;
    }

    private async Task<TValue?> LoadWithTimeoutAsync(TKey key)
    {
        using var timeout = new CancellationTokenSource(_options.Loading.Timeout, _time);
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var loader = _loaderFactory!(scope.ServiceProvider);
            var load = loader.LoadAsync(key, timeout.Token).AsTask();
            try
            {
                return await load.WaitAsync(_options.Loading.Timeout, _time).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"The loader of cache '{Name}' did not answer within {_options.Loading.Timeout}.");
            }
        }
    }

    private async ValueTask StoreLoadedAsync(TKey key, string formatted, TValue? value, MemoryEntry<TValue>? observed, LoadOperation operation)
    {
        var isNotFound = value is null;
        if (isNotFound && _options.Loading.NotFoundDuration <= TimeSpan.Zero)
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

        var lifetime = Lifetime(isNotFound);
        var entry = CreateMemoryEntry(value, isNotFound, null, lifetime);
        _memory?.SetIfUnchanged(key, entry, observed);
        if (_distributed is not null)
        {
            try
            {
                var (expiresAt, keepUntil) = DistributedTimes(lifetime);
                var encoded = DistributedEntry<TValue>.Encode(value, isNotFound, expiresAt.ToUnixTimeMilliseconds(), NowMs(), null, _valueSerializer);
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

    private bool TryFailSafe(MemoryEntry<TValue>? observed, DistributedEntry<TValue>? stale, out TValue? value)
    {
        value = default;
        if (!_options.FailSafe.Enabled)
        {
            return false;
        }

        var maxStale = _options.FailSafe.MaxStaleDuration;
        if (observed is not null)
        {
            var now = _clock.Now();
            var staleTicks = now - observed.ExpiresAt;
            if (staleTicks >= 0 && staleTicks < ToTimestampTicks(maxStale))
            {
                value = observed.Value;
                Served(_clock.ToTimeSpan(staleTicks));
                return true;
            }
        }

        if (stale is not null)
        {
            var staleMs = NowMs() - stale.ExpiresAtMs;
            if (staleMs >= 0 && staleMs < (long)maxStale.TotalMilliseconds)
            {
                value = stale.Value;
                Served(TimeSpan.FromMilliseconds(staleMs));
                return true;
            }
        }

        return false;

        void Served(TimeSpan staleFor)
        {
            _metrics.StaleServed.Add(1, _cacheTag);
            CachingLog.FailSafeServed(_logger, Name, staleFor);
        }
    }

    // ---------------------------------------------------------------- writes

    public async ValueTask SetAsync(TKey key, TValue value, IReadOnlyCollection<string>? tags = null, CancellationToken cancellationToken = default)
    {
        var formatted = ValidateKey(key);
        var tagArray = ValidateTags(tags);
        var lifetime = Lifetime(isNotFound: false);
        byte[]? encoded = null;
        DateTimeOffset keepUntil = default;
        if (_distributed is not null)
        {
            var (expiresAt, keep) = DistributedTimes(lifetime);
            keepUntil = keep;
            encoded = DistributedEntry<TValue>.Encode(value, false, expiresAt.ToUnixTimeMilliseconds(), NowMs(), tagArray, _valueSerializer); // fails before anything changes
        }

        switch (_options.WriteStrategy)
        {
            case CacheWriteStrategy.WriteThrough:
                await WriteThroughAsync(key, formatted, value, cancellationToken).ConfigureAwait(false);
                break;
            case CacheWriteStrategy.WriteBack:
                await _writeBack!.EnqueueAsync(key, value, cancellationToken).ConfigureAwait(false);
                _writeBackStatus!.Enqueued(_time.GetUtcNow());
                _writeBackWatch!.Used();
                break;
        }

        InvalidateInFlight(key);
        _memory?.Set(key, CreateMemoryEntry(value, isNotFound: false, tagArray, lifetime));
        if (_distributed is not null)
        {
            if (await _distributed.SetAsync(formatted, encoded!, keepUntil, CancellationToken.None).ConfigureAwait(false))
            {
                StartRepair();
            }
            else
            {
                RememberRepair(key, formatted); // L2 (or a replica that takes over) may still hold the old value
            }
        }

        await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Key, SerializeKey(key), null)).ConfigureAwait(false);
    }

    private async ValueTask WriteThroughAsync(TKey key, string formatted, TValue value, CancellationToken cancellationToken)
    {
        try
        {
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                await _writerFactory!(scope.ServiceProvider).WriteAsync(key, value, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // The database may or may not hold the value: keep no cached copy either way.
            InvalidateInFlight(key);
            _memory?.Remove(key);
            if (_distributed is not null && !await _distributed.RemoveAsync(formatted, CancellationToken.None).ConfigureAwait(false))
            {
                RememberRepair(key, formatted);
            }

            await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Key, SerializeKey(key), null)).ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask RemoveAsync(TKey key, CancellationToken cancellationToken = default)
    {
        var formatted = ValidateKey(key);
        InvalidateInFlight(key);
        _memory?.Remove(key);
        if (_distributed is not null)
        {
            if (await _distributed.RemoveAsync(formatted, cancellationToken).ConfigureAwait(false))
            {
                StartRepair();
            }
            else
            {
                RememberRepair(key, formatted);
            }
        }

        await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Key, SerializeKey(key), null)).ConfigureAwait(false);
    }

    public async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        foreach (var key in _inFlight.Keys)
        {
            InvalidateInFlight(key);
        }

        _memory?.RemoveByTag(tag);
        if (_distributed is not null)
        {
            if (await _distributed.InvalidateTagAsync(tag, (long)TagKeepFor().TotalMilliseconds, cancellationToken).ConfigureAwait(false))
            {
                StartRepair();
            }
            else
            {
                RememberTagRepair(tag);
            }
        }

        await PublishAsync(new CacheInvalidation(Name, CacheInvalidationKind.Tag, default, tag)).ConfigureAwait(false);
    }

    public async ValueTask WarmUpAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            try
            {
                await GetOrLoadAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                CachingLog.WarmUpFailed(_logger, Name, ex);
            }
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_writeBack is null)
        {
            return;
        }

        while (!await FlushOnceAsync(cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(_writeBack.RetryDelay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- backplane

    public void OnInvalidation(CacheInvalidation invalidation)
    {
        if (!string.Equals(invalidation.CacheName, Name, StringComparison.Ordinal) || _memory is null)
        {
            return;
        }

        switch (invalidation.Kind)
        {
            case CacheInvalidationKind.Key:
                TKey? key;
                try
                {
                    key = _keySerializer.Deserialize(invalidation.Key.Span);
                }
                catch (Exception ex)
                {
                    CachingLog.InvalidationUnreadable(_logger, Name, ex);
                    _memory.Clear(); // cannot tell which key: drop everything rather than serve a stale value
                    return;
                }

                if (key is not null)
                {
                    InvalidateInFlight(key);
                    _memory.Remove(key);
                }

                break;
            case CacheInvalidationKind.Tag when invalidation.Tag is not null:
                _memory.RemoveByTag(invalidation.Tag);
                break;
            default:
                _memory.Clear();
                break;
        }
    }

    public void OnResynchronize()
    {
        if (_memory is null)
        {
            return;
        }

        _memory.Clear();
        CachingLog.Resynchronized(_logger, Name);
        StartRepair(); // the connection is back: delete what failed writes left in L2
    }

    private async ValueTask PublishAsync(CacheInvalidation invalidation)
    {
        if (_backplane is null)
        {
            return;
        }

        try
        {
            await _backplane.PublishAsync(invalidation, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _metrics.LevelErrors.Add(1, _cacheTag, new KeyValuePair<string, object?>("level", "backplane"));
            CachingLog.BackplanePublishFailed(_logger, Name, ex);
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _queueGauge?.Dispose();
        _writeBackWatch?.Dispose();
        _distributed?.Dispose();
    }

    // ---------------------------------------------------------------- helpers

    private void InvalidateInFlight(TKey key)
    {
        if (_inFlight.TryGetValue(key, out var operation))
        {
            operation.Invalidated = true;
        }
    }

    private ReadOnlyMemory<byte> SerializeKey(TKey key) =>
        _backplane is null ? default : CacheKeyFormatter.Serialize(key, _keySerializer, "key");

    private string ValidateKey(TKey key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), $"Cache '{Name}': a key must not be null.");
        }

        var formatted = CacheKeyFormatter.Format(key, _keySerializer);
        if (formatted.Length > _options.MaxKeyLength)
        {
            throw new CacheKeyException(
                $"Cache '{Name}': a key of {formatted.Length} characters is longer than MaxKeyLength ({_options.MaxKeyLength}). Use a shorter key (an id, or a hash of the long one) or raise MaxKeyLength.");
        }

        return formatted;
    }

    private static string[]? ValidateTags(IReadOnlyCollection<string>? tags)
    {
        if (tags is null || tags.Count == 0)
        {
            return null;
        }

        var array = tags.ToArray();
        foreach (var tag in array)
        {
            if (string.IsNullOrEmpty(tag) || tag.Length > 256)
            {
                throw new ArgumentException("Tags must be non-empty strings of at most 256 characters.", nameof(tags));
            }
        }

        return array;
    }

    private TimeSpan Lifetime(bool isNotFound)
    {
        if (isNotFound)
        {
            return _options.Loading.NotFoundDuration;
        }

        var lifetime = _options.Expiration.Duration;
        var jitter = _options.Expiration.JitterMaxDuration;
        if (jitter > TimeSpan.Zero)
        {
#pragma warning disable CA5394 // jitter spreads expiries; it is not security-sensitive
            lifetime += TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * jitter.Ticks));
#pragma warning restore CA5394
        }

        return lifetime;
    }

    private (DateTimeOffset ExpiresAt, DateTimeOffset KeepUntil) DistributedTimes(TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        var expiresAt = now + lifetime;
        var keepUntil = _options.FailSafe.Enabled ? expiresAt + _options.FailSafe.MaxStaleDuration : expiresAt;
        return (expiresAt, keepUntil);
    }

    private MemoryEntry<TValue> CreateMemoryEntry(TValue? value, bool isNotFound, string[]? tags, TimeSpan? lifetime = null)
    {
        var now = _clock.Now();
        var life = lifetime ?? Lifetime(isNotFound);
        if (_options.Memory.MaxDuration is { } cap && _distributed is not null && cap < life)
        {
            life = cap;
        }

        var absolute = now + ToTimestampTicks(life);
        var sliding = !isNotFound && _options.Expiration.SlidingExpiration is { } slide ? ToTimestampTicks(slide) : 0;
        var expiresAt = sliding != 0 ? Math.Min(now + sliding, absolute) : absolute;
        var refreshAt = !isNotFound && _options.Loading.RefreshAheadRatio > 0 && _loaderFactory is not null
            ? now + (long)(ToTimestampTicks(life) * _options.Loading.RefreshAheadRatio)
            : long.MaxValue;
        var keepUntil = _options.FailSafe.Enabled ? absolute + ToTimestampTicks(_options.FailSafe.MaxStaleDuration) : absolute;
        return new MemoryEntry<TValue>(value, isNotFound, expiresAt, absolute, sliding, refreshAt, keepUntil, tags, now);
    }

    private MemoryEntry<TValue> FromDistributed(DistributedEntry<TValue> remote)
    {
        var remaining = TimeSpan.FromMilliseconds(Math.Max(0, remote.ExpiresAtMs - NowMs()));
        return CreateMemoryEntry(remote.Value, remote.IsNotFound, remote.Tags, remaining);
    }

    private long ToTimestampTicks(TimeSpan span) => _clock.ToTicks(span);

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// One running load. The task merged readers wait for is made only when one joins, so a load nobody joins
    /// (the usual case, and every L2 hit) allocates no task of its own.
    /// </summary>
    private sealed class LoadOperation
    {
        private TaskCompletionSource<TValue?>? _waiters;
        private bool _done;
        private TValue? _value;
        private Exception? _error;

        public volatile bool Invalidated;

        /// <summary>Completes with the load's result (or its failure).</summary>
        public Task<TValue?> Task
        {
            get
            {
                lock (this)
                {
                    if (_done)
                    {
                        return _error is null ? System.Threading.Tasks.Task.FromResult(_value) : System.Threading.Tasks.Task.FromException<TValue?>(_error);
                    }

                    return (_waiters ??= new TaskCompletionSource<TValue?>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }
        }

        public void TrySetResult(TValue? value) => Finish(value, null);

        public void TrySetException(Exception error) => Finish(default, error);

        private void Finish(TValue? value, Exception? error)
        {
            TaskCompletionSource<TValue?>? waiters;
            lock (this)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                _value = value;
                _error = error;
                waiters = _waiters;
            }

            if (waiters is null)
            {
                return;
            }

            if (error is null)
            {
                waiters.TrySetResult(value);
            }
            else
            {
                waiters.TrySetException(error);
            }
        }
    }
}
