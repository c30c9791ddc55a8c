using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Caching.Hybrid;

namespace DataPatterns.Caching;

/// <summary>
/// <see cref="HybridCache"/> on the DataPatterns engine: code written against HybridCache gets the backplane, tags seen
/// by every instance, fail-safe and refresh-ahead. HybridCache is generic per call, the engine per cache, so there is one
/// engine cache per value type, made on first use; all of them carry the adapter's cache name, so they share its
/// distributed entries, tags and backplane messages, and a HybridCache key is the distributed key whatever the type.
/// </summary>
/// <remarks>
/// One key holds one type at a time, as with Microsoft's implementation. Each type has its own memory level, so an
/// object of the wrong type is never returned; writing a key through one type drops this instance's memory copies of it
/// held by the others, and distributed bytes that do not deserialise as the type asked for count as a miss.
/// </remarks>
internal sealed partial class DataPatternsHybridCache : HybridCache, IDisposable
{
    private static int s_nextSlot = -1;

    private readonly string _name;
    private readonly CacheOptions _options;
    private readonly IServiceProvider _services;
    private readonly string _applicationName;
    private readonly Lock _createLock = new();
    private TypedCache?[] _bySlot = new TypedCache?[8];
    private TypedCache[] _all = [];
    private bool _disposed;

    public DataPatternsHybridCache(string name, CacheOptions options, IServiceProvider services, string applicationName)
    {
        _name = name;
        _options = options;
        _services = services;
        _applicationName = applicationName;
    }

    public override ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options = null,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        HybridEntry.CheckTags(tags);
        var flags = options?.Flags ?? HybridCacheEntryFlags.None;
        var cache = CacheOf<T>();
        if ((flags & HybridCacheEntryFlags.DisableLocalCacheRead) == 0 && cache.TryGetFresh(key, out var value, out var refreshDue))
        {
            if (refreshDue && (flags & (HybridEntry.LevelFlags | HybridCacheEntryFlags.DisableUnderlyingData)) == 0)
            {
                StartRefresh(cache, key, state, factory, options, tags);
            }

            return new ValueTask<T>(value!);
        }

        return GetOrCreateMissAsync(cache, key, state, factory, options, flags, tags, cancellationToken);
    }

    public override ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        var entry = HybridEntry.Create(options, tags, _options);
        var write = entry.ToWrite(options?.Flags ?? HybridCacheEntryFlags.None);
        var cache = CacheOf<T>();
        RemoveOtherTypes(key, cache);
        if (write is { SkipMemory: true, SkipDistributed: true })
        {
            cache.RemoveFromMemory(key); // the older copy must not outlive a write, even one kept nowhere
            return ValueTask.CompletedTask;
        }

        return cache.SetAsync(key, value!, entry.Tags, write, cancellationToken);
    }

    public override async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);

        // Every per-type engine removes it: a removal that cannot reach L2 is remembered (and read past until repaired)
        // by the engine that made it, so each type must make its own. A handful of types: a handful of deletes.
        foreach (var cache in AllOrFirst())
        {
            await cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask RemoveAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            await RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        HybridEntry.CheckRemovalTag(tag);
        var all = AllOrFirst();
        if (tag == HybridEntry.AllTag)
        {
            // Each engine cache clears its own memory and knows its own generation of the distributed namespace.
            foreach (var cache in all)
            {
                await cache.ClearAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        foreach (var cache in all)
        {
            await cache.RemoveByTagAsync(tag, cancellationToken).ConfigureAwait(false); // each remembers its own failure, as above
        }
    }

    public override async ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        foreach (var tag in tags)
        {
            await RemoveByTagAsync(tag, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        lock (_createLock)
        {
            _disposed = true;
            foreach (var cache in _all)
            {
                cache.Dispose();
            }
        }
    }

    private async ValueTask<T> GetOrCreateMissAsync<TState, T>(
        Cache<string, T> cache,
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options,
        HybridCacheEntryFlags flags,
        IEnumerable<string>? tags,
        CancellationToken cancellationToken)
    {
        CheckKeyLength(key);
        var entry = HybridEntry.Create(options, tags, _options);
        // DisableUnderlyingData takes the unmerged path too: as a load without a loader it would answer default to
        // every caller that joined it, though they brought a factory.
        if ((flags & (HybridEntry.LevelFlags | HybridCacheEntryFlags.DisableUnderlyingData)) != 0)
        {
            return await GetOrCreateByLevelsAsync(cache, key, state, factory, entry, flags, cancellationToken).ConfigureAwait(false);
        }

        var loader = new HybridFactoryLoader<TState, T>(state, factory, entry);
        try
        {
            var value = await cache.LoadMissAsync(key, loader, cancellationToken).ConfigureAwait(false);
            RemoveOtherTypes(key, cache);
            return value!;
        }
        catch (CacheLoadException ex) when (!ex.TimedOut && ex.InnerException is { } factoryError)
        {
            // HybridCache callers expect the factory's own exception; the engine's wrapper adds nothing for them.
            ExceptionDispatchInfo.Throw(factoryError);
            throw;
        }
    }

    /// <summary>
    /// A call whose flags leave out a level: the adapter reads and writes the allowed levels itself. Such a call is not
    /// merged with others' loads (they may have read or will write a level this one must not) and has no fail-safe.
    /// The memory level was already read (or skipped) by the caller.
    /// </summary>
    private async ValueTask<T> GetOrCreateByLevelsAsync<TState, T>(
        Cache<string, T> cache, string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, HybridEntry entry, HybridCacheEntryFlags flags, CancellationToken cancellationToken)
    {
        if ((flags & HybridCacheEntryFlags.DisableDistributedCacheRead) == 0)
        {
            var storeInMemory = (flags & HybridCacheEntryFlags.DisableLocalCacheWrite) == 0;
            var found = await cache.ReadDistributedAsync(key, storeInMemory, cancellationToken).ConfigureAwait(false);
            if (found.Found)
            {
                return found.Value!;
            }
        }

        if ((flags & HybridCacheEntryFlags.DisableUnderlyingData) != 0)
        {
            return default!;
        }

        var value = await factory(state, cancellationToken).ConfigureAwait(false);
        var write = entry.ToWrite(flags);
        if (!write.SkipMemory || !write.SkipDistributed)
        {
            await cache.SetAsync(key, value!, entry.Tags, write, CancellationToken.None).ConfigureAwait(false);
            RemoveOtherTypes(key, cache);
        }

        return value;
    }

    /// <summary>
    /// One key, one type: what a write or a load through <paramref name="cache"/> brings makes this instance's memory
    /// copies of the key in other types' caches older than the distributed entry, so they are dropped.
    /// </summary>
    private void RemoveOtherTypes(string key, object cache)
    {
        foreach (var other in Volatile.Read(ref _all))
        {
            if (!ReferenceEquals(other.Engine, cache))
            {
                other.RemoveFromMemory(key);
            }
        }
    }

    private void StartRefresh<TState, T>(Cache<string, T> cache, string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, HybridCacheEntryOptions? options, IEnumerable<string>? tags)
    {
        var entry = HybridEntry.Create(options, tags, _options);
        cache.StartRefresh(key, new HybridFactoryLoader<TState, T>(state, factory, entry));
    }

    private static void CheckKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new ArgumentException("A HybridCache key must not be empty.", nameof(key));
        }
    }

    /// <summary>
    /// Microsoft's implementation logs a key longer than its limit and runs the factory uncached; this one throws, as
    /// every DataPatterns cache does, so a key that can never be cached is found in testing, not in production load.
    /// </summary>
    private void CheckKeyLength(string key)
    {
        if (key.Length > _options.MaxKeyLength)
        {
            throw new CacheKeyException(
                $"HybridCache '{_name}': a key of {key.Length} characters is longer than MaxKeyLength ({_options.MaxKeyLength}). Use a shorter key (an id, or a hash of the long one) or raise MaxKeyLength in AddHybridCache.");
        }
    }
}
