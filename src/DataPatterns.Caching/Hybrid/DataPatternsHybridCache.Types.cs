using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching;

// The engine caches, one per value type, made on first use.
internal sealed partial class DataPatternsHybridCache
{
    /// <summary>
    /// The engine cache for <typeparamref name="T"/>. The hot path is an array read at an index fixed per type for the
    /// process (a static generic field), cheaper than a dictionary keyed by <see cref="Type"/> and allocation-free.
    /// </summary>
    private Cache<string, T> CacheOf<T>()
    {
        var slot = Slot<T>.Index;
        var bySlot = Volatile.Read(ref _bySlot);
        return slot < bySlot.Length && bySlot[slot] is TypedCache<T> typed ? typed.Cache : Create<T>(slot);
    }

    /// <summary>Every engine cache made so far, or (before any call) one made for the removal to reach L2 and other instances.</summary>
    private TypedCache[] AllOrFirst()
    {
        var all = Volatile.Read(ref _all);
        if (all.Length == 0)
        {
            CacheOf<object>();
            all = Volatile.Read(ref _all);
        }

        return all;
    }

    private Cache<string, T> Create<T>(int slot)
    {
        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var bySlot = _bySlot;
            if (slot < bySlot.Length && bySlot[slot] is TypedCache<T> existing)
            {
                return existing.Cache;
            }

            var registration = new CacheRegistration<string, T> { RefreshesWithCallerLoader = true };
            var cache = new Cache<string, T>(_name, _options, registration, _services, _applicationName, SerializerFor<T>());
            var typed = new TypedCache<T>(cache);

            // Readers see either the old array or a complete new one: never a half-filled slot.
            var grown = new TypedCache?[Math.Max(bySlot.Length, slot * 2 + 1)];
            Array.Copy(bySlot, grown, bySlot.Length);
            grown[slot] = typed;
            Volatile.Write(ref _bySlot, grown);
            Volatile.Write(ref _all, [.. _all, typed]);
            return cache;
        }
    }

    /// <summary>
    /// The value serializer, in the order a HybridCache user expects plus ours first: a DataPatterns
    /// <see cref="ICacheSerializer{T}"/>, then an <see cref="IHybridCacheSerializer{T}"/>, then the last registered
    /// <see cref="IHybridCacheSerializerFactory"/> that accepts the type; null lets the engine use JSON.
    /// </summary>
    private ICacheSerializer<T>? SerializerFor<T>()
    {
        if (_services.GetService<ICacheSerializer<T>>() is { } own)
        {
            return own;
        }

        if (_services.GetService<IHybridCacheSerializer<T>>() is { } hybrid)
        {
            return new HybridSerializerAdapter<T>(hybrid);
        }

        foreach (var factory in _services.GetServices<IHybridCacheSerializerFactory>().Reverse())
        {
            if (factory.TryCreateSerializer<T>(out var created))
            {
                return new HybridSerializerAdapter<T>(created);
            }
        }

        return null;
    }

    /// <summary>A process-wide index per value type.</summary>
    private static class Slot<T>
    {
        public static readonly int Index = Interlocked.Increment(ref s_nextSlot);
    }

    /// <summary>What the removals need of an engine cache, whatever its value type.</summary>
    private abstract class TypedCache : IDisposable
    {
        public abstract object Engine { get; }

        public abstract ValueTask RemoveAsync(string key, CancellationToken cancellationToken);

        public abstract void RemoveFromMemory(string key);

        public abstract ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken);

        public abstract ValueTask ClearAsync(CancellationToken cancellationToken);

        public abstract void Dispose();
    }

    private sealed class TypedCache<T>(Cache<string, T> cache) : TypedCache
    {
        public Cache<string, T> Cache { get; } = cache;

        public override object Engine => Cache;

        public override ValueTask RemoveAsync(string key, CancellationToken cancellationToken) => Cache.RemoveAsync(key, cancellationToken);

        public override void RemoveFromMemory(string key) => Cache.RemoveFromMemory(key);

        public override ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken) => Cache.RemoveByTagAsync(tag, cancellationToken);

        public override ValueTask ClearAsync(CancellationToken cancellationToken) => Cache.ClearAsync(cancellationToken);

        public override void Dispose() => Cache.Dispose();
    }
}
