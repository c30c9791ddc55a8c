using System.Collections.Concurrent;

namespace DataPatterns.Caching;

/// <summary>
/// The memory level (L1): a dictionary keyed by the typed key (no boxing, no string keys), expiry checked against
/// <see cref="MemoryClock"/> timestamps, a size limit with least-recently-used eviction.
/// </summary>
internal sealed class MemoryLevel<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, MemoryEntry<TValue>> _entries = new();
    private readonly MemoryClock _clock;
    private readonly int _maxEntries;
    private readonly Action _onEvicted;
    private readonly Lock _compactLock = new();
    private int _count;

    public MemoryLevel(MemoryClock clock, int maxEntries, Action onEvicted)
    {
        _clock = clock;
        _maxEntries = maxEntries;
        _onEvicted = onEvicted;
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>The hot path: the entry when it is fresh (sliding expiry moved on), otherwise null.</summary>
    public MemoryEntry<TValue>? TryGetFresh(TKey key, out long now)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            now = _clock.Now();
            if (now < entry.ExpiresAt)
            {
                entry.LastAccess = now;
                if (entry.SlidingTicks != 0)
                {
                    var next = now + entry.SlidingTicks;
                    entry.ExpiresAt = next < entry.AbsoluteExpiresAt ? next : entry.AbsoluteExpiresAt;
                }

                return entry;
            }

            return null;
        }

        now = 0;
        return null;
    }

    /// <summary>The entry whatever its state (expired ones are kept until <see cref="MemoryEntry{TValue}.KeepUntil"/>).</summary>
    public MemoryEntry<TValue>? Peek(TKey key) => _entries.TryGetValue(key, out var entry) ? entry : null;

    /// <summary>Stores <paramref name="entry"/> whatever was there.</summary>
    public void Set(TKey key, MemoryEntry<TValue> entry)
    {
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (_entries.TryUpdate(key, entry, existing))
                {
                    return;
                }
            }
            else if (_entries.TryAdd(key, entry))
            {
                OnAdded();
                return;
            }
        }
    }

    /// <summary>
    /// Stores <paramref name="entry"/> only if the key still holds <paramref name="expected"/> (null: still absent), so a
    /// load that started before a write or remove never overwrites it with older data.
    /// </summary>
    public bool SetIfUnchanged(TKey key, MemoryEntry<TValue> entry, MemoryEntry<TValue>? expected)
    {
        if (expected is null)
        {
            if (_entries.TryAdd(key, entry))
            {
                OnAdded();
                return true;
            }

            return false;
        }

        return _entries.TryUpdate(key, entry, expected);
    }

    public bool Remove(TKey key)
    {
        if (_entries.TryRemove(key, out _))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    /// <summary>Removes the key only if it still holds <paramref name="expected"/>.</summary>
    public bool RemoveIfUnchanged(TKey key, MemoryEntry<TValue> expected)
    {
        if (_entries.TryRemove(new KeyValuePair<TKey, MemoryEntry<TValue>>(key, expected)))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    public void RemoveByTag(string tag)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.Tags is { } tags && Array.IndexOf(tags, tag) >= 0 && _entries.TryRemove(new KeyValuePair<TKey, MemoryEntry<TValue>>(key, entry)))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    public void Clear()
    {
        foreach (var pair in _entries)
        {
            if (_entries.TryRemove(pair))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    private void OnAdded()
    {
        if (Interlocked.Increment(ref _count) > _maxEntries)
        {
            Compact();
        }
    }

    /// <summary>Removes entries past their keep time, then the least recently used ones, down to 90 % of the limit.</summary>
    private void Compact()
    {
        if (!_compactLock.TryEnter())
        {
            return; // another thread compacts right now
        }

        try
        {
            var now = _clock.Now();
            foreach (var pair in _entries)
            {
                if (pair.Value.KeepUntil <= now && _entries.TryRemove(pair))
                {
                    Interlocked.Decrement(ref _count);
                }
            }

            var target = Math.Max(0, _maxEntries - (_maxEntries / 10));
            var excess = Volatile.Read(ref _count) - target;
            if (excess <= 0)
            {
                return;
            }

            var snapshot = _entries.ToArray();
            Array.Sort(snapshot, static (a, b) => a.Value.LastAccess.CompareTo(b.Value.LastAccess));
            for (var i = 0; i < snapshot.Length && excess > 0; i++)
            {
                if (_entries.TryRemove(snapshot[i]))
                {
                    Interlocked.Decrement(ref _count);
                    excess--;
                    _onEvicted();
                }
            }
        }
        finally
        {
            _compactLock.Exit();
        }
    }
}
