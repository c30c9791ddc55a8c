using System.Collections.Concurrent;
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
    private readonly Func<IServiceProvider, ICacheBatchLoader<TKey, TValue>>? _batchLoaderFactory;
    private readonly Func<IServiceProvider, ICacheWriter<TKey, TValue>>? _writerFactory;
    private readonly IWriteBackQueue<TKey, TValue>? _writeBack;
    private readonly ICacheSerializer<TKey> _keySerializer;
    private readonly ICacheSerializer<TValue> _valueSerializer;
    private readonly CachingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<TKey> _warmUpKeys;
    private readonly ConcurrentDictionary<TKey, LoadOperation> _inFlight = new();
    private readonly IDisposable? _subscription;
    private readonly ITimer? _clearPoll;
    private readonly IDisposable? _queueGauge;
    private readonly WriteBackStatus? _writeBackStatus;
    private readonly WriteBackStartWatch? _writeBackWatch;
    private readonly string _lockPrefix;
    private readonly KeyValuePair<string, object?> _cacheTag;
    private readonly KeyValuePair<string, object?> _l1Tag = new("datapatterns.cache.level", "l1");
    private readonly KeyValuePair<string, object?> _l2Tag = new("datapatterns.cache.level", "l2");
    private readonly MemoryClock _clock;
    private readonly bool _refreshesWithCallerLoader;

    public Cache(
        string name,
        CacheOptions options,
        CacheRegistration<TKey, TValue> registration,
        IServiceProvider services,
        string applicationName,
        ICacheSerializer<TValue>? valueSerializer = null)
    {
        Name = name;
        _options = options;
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _clock = new MemoryClock(_time);
        _scopes = services.GetRequiredService<IServiceScopeFactory>();
        _metrics = services.GetRequiredService<CachingMetrics>();
        _logger = (services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("DataPatterns.Caching." + name);
        _keySerializer = services.GetService<ICacheSerializer<TKey>>() ?? new JsonCacheSerializer<TKey>();
        _valueSerializer = valueSerializer ?? services.GetService<ICacheSerializer<TValue>>() ?? new JsonCacheSerializer<TValue>();
        _batchLoaderFactory = registration.BatchLoaderFactory;
        _loaderFactory = registration.LoaderFactory ?? SingleFromBatch(registration.BatchLoaderFactory);
        _writerFactory = registration.WriterFactory;
        _warmUpKeys = registration.WarmUpKeys;
        _refreshesWithCallerLoader = registration.RefreshesWithCallerLoader;
        _cacheTag = new("datapatterns.cache.name", name);
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

        if (_distributed is not null)
        {
            _distributed.ClearObserved = ForgetEverything;
            _clearPoll = _subscription is null ? _distributed.StartPollingClearMarker() : null;
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

    public ValueTask<TValue?> GetOrLoadAsync(TKey key, CancellationToken cancellationToken = default) =>
        GetOrLoadAsync(key, loader: null, cancellationToken);

    /// <summary>
    /// <see cref="GetOrLoadAsync(TKey, CancellationToken)"/> with the caller's own loader for a miss, or null for the
    /// registered one. A load already running for the key is joined, whoever started it. Refresh-ahead still uses only
    /// the registered loader: a caller's loader may hold state that ends with the call (a request's DbContext).
    /// </summary>
    internal ValueTask<TValue?> GetOrLoadAsync(TKey key, ICacheLoader<TKey, TValue>? loader, CancellationToken cancellationToken) =>
        TryHitMemory(key, out var value) ? new ValueTask<TValue?>(value) : GetOrLoadSlowAsync(key, loader, cancellationToken);

    /// <summary>A live memory entry's value (counted as a hit, and refreshed ahead when due); false on a memory miss.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool TryHitMemory(TKey key, out TValue? value)
    {
        if (_memory?.TryGetFresh(key, out var now) is not { } entry)
        {
            value = default;
            return false;
        }

        if (_metrics.Hits.Enabled)
        {
            _metrics.Hits.Add(1, _cacheTag, _l1Tag);
        }

        if (now >= entry.RefreshAt)
        {
            StartRefresh(key, entry);
        }

        value = entry.Value;
        return true;
    }

    public ValueTask<CacheLookup<TValue>> TryGetAsync(TKey key, CancellationToken cancellationToken = default)
    {
        if (_memory?.TryGetFresh(key, out _) is { } entry)
        {
            _metrics.Hits.Add(1, _cacheTag, _l1Tag);
            return new ValueTask<CacheLookup<TValue>>(new CacheLookup<TValue>(true, entry.Value));
        }

        return ReadDistributedAsync(key, storeInMemory: true, cancellationToken);
    }

    // ---------------------------------------------------------------- writes

    // ---------------------------------------------------------------- backplane

    public void Dispose()
    {
        _subscription?.Dispose();
        _clearPoll?.Dispose();
        _queueGauge?.Dispose();
        _writeBackWatch?.Dispose();
        _distributed?.Dispose();
    }

    // ---------------------------------------------------------------- helpers

    private void InvalidateInFlight(TKey key)
    {
        Interlocked.Increment(ref _invalidations);
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

        if (CacheKeyFormatter.HasUnpairedSurrogate(formatted))
        {
            throw new CacheKeyException(
                $"Cache '{Name}': a key holds an unpaired UTF-16 surrogate, which the distributed level cannot tell from other such keys. Use well-formed text (or an id, or a hash of the key).");
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
            if (string.IsNullOrEmpty(tag) || tag.Length > 256 || CacheKeyFormatter.HasUnpairedSurrogate(tag))
            {
                throw new ArgumentException("Tags must be non-empty strings of at most 256 characters of well-formed text (no unpaired surrogate).", nameof(tags));
            }
        }

        return array;
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
        var refreshAt = !isNotFound && _options.Loading.RefreshAheadRatio > 0 && (_loaderFactory is not null || _refreshesWithCallerLoader)
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

    private static Func<IServiceProvider, ICacheLoader<TKey, TValue>>? SingleFromBatch(Func<IServiceProvider, ICacheBatchLoader<TKey, TValue>>? batch) =>
        batch is null ? null : sp => new BatchLoaderAsSingle<TKey, TValue>(batch(sp));

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

        /// <summary>The caller's own loader, or null for the registered one.</summary>
        public ICacheLoader<TKey, TValue>? Loader { get; init; }

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
