namespace DataPatterns.Caching;

/// <summary>
/// A small lock-free pool of reusable objects shared by all threads (an object is often taken on one thread and given
/// back on another, where an async read completed, so a per-thread slot would rarely be hit).
/// </summary>
internal static class ReusePool<T>
    where T : class
{
    private static readonly T?[] Slots = new T?[Math.Clamp(Environment.ProcessorCount * 4, 8, 64)];

    /// <summary>A pooled object, or null when none is free.</summary>
    public static T? TryTake()
    {
        var slots = Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is not null && Interlocked.Exchange(ref slots[i], null) is { } taken)
            {
                return taken;
            }
        }

        return null;
    }

    /// <summary>Keeps <paramref name="item"/> for reuse, or drops it when the pool is full.</summary>
    public static void Give(T item)
    {
        var slots = Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (Volatile.Read(ref slots[i]) is null && Interlocked.CompareExchange(ref slots[i], item, null) is null)
            {
                return;
            }
        }
    }
}
