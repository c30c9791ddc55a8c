using System.Runtime.CompilerServices;

namespace DataPatterns.Caching;

// What the HybridCache adapter needs beyond ICache: a memory hit that creates nothing (the adapter's loader object is
// made only on a miss), refresh-ahead with the caller's own loader, a read of L2 alone, and memory-only invalidation
// for the adapter's other per-type caches, which share this cache's name and so its L2 entries and backplane messages.
internal sealed partial class Cache<TKey, TValue>
{
    /// <summary>
    /// A fresh memory entry, counted as a hit; nothing else happens. <paramref name="refreshDue"/> says the entry asked
    /// for refresh-ahead and nobody refreshes it yet: the caller may start it with its own loader.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryGetFresh(TKey key, out TValue? value, out bool refreshDue)
    {
        if (_memory?.TryGetFresh(key, out var now) is { } entry)
        {
            if (_metrics.Hits.Enabled)
            {
                _metrics.Hits.Add(1, _cacheTag, _l1Tag);
            }

            refreshDue = now >= entry.RefreshAt && Volatile.Read(ref entry.Refreshing) == 0;
            value = entry.Value;
            return true;
        }

        value = default;
        refreshDue = false;
        return false;
    }

    /// <summary>The miss half of <see cref="GetOrLoadAsync(TKey, ICacheLoader{TKey, TValue}?, CancellationToken)"/>, for a caller that already looked in memory.</summary>
    internal ValueTask<TValue?> LoadMissAsync(TKey key, ICacheLoader<TKey, TValue>? loader, CancellationToken cancellationToken) =>
        GetOrLoadSlowAsync(key, loader, cancellationToken);

    /// <summary>
    /// Refresh-ahead with the caller's <paramref name="loader"/>: the load runs in the background, after the call that
    /// started it has returned, so the loader must not hold state that ends with that call.
    /// </summary>
    internal void StartRefresh(TKey key, ICacheLoader<TKey, TValue> loader)
    {
        if (_memory?.Peek(key) is not { } entry || Interlocked.CompareExchange(ref entry.Refreshing, 1, 0) != 0)
        {
            return;
        }

        var operation = new LoadOperation { Loader = loader };
        if (_inFlight.TryAdd(key, operation))
        {
            RunInBackground(RunLoadAsync(key, CacheKeyFormatter.Format(key, _keySerializer), operation, refreshOf: entry));
        }
        else
        {
            Volatile.Write(ref entry.Refreshing, 0); // a load is already running; a later hit may refresh
        }
    }

    /// <summary>Drops this instance's memory copy of <paramref name="key"/> (and what a running load would store).</summary>
    internal void RemoveFromMemory(TKey key)
    {
        InvalidateInFlight(key);
        _memory?.Remove(key);
    }
}
