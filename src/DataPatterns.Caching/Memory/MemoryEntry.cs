namespace DataPatterns.Caching;

/// <summary>
/// One memory entry. Times are <see cref="TimeProvider.GetTimestamp"/> values. A "not found" entry has
/// <see cref="IsNotFound"/> set and a default value.
/// </summary>
internal sealed class MemoryEntry<TValue>
{
    public MemoryEntry(TValue? value, bool isNotFound, long expiresAt, long absoluteExpiresAt, long slidingTicks, long refreshAt, long keepUntil, string[]? tags, long now)
    {
        Value = value;
        IsNotFound = isNotFound;
        ExpiresAt = expiresAt;
        AbsoluteExpiresAt = absoluteExpiresAt;
        SlidingTicks = slidingTicks;
        RefreshAt = refreshAt;
        KeepUntil = keepUntil;
        Tags = tags;
        LastAccess = now;
    }

    public TValue? Value { get; }

    public bool IsNotFound { get; }

    /// <summary>The logical expiry; moved forward by sliding expiration, never past <see cref="AbsoluteExpiresAt"/>.</summary>
    public long ExpiresAt;

    public long AbsoluteExpiresAt { get; }

    public long SlidingTicks { get; }

    /// <summary>Reads at or after this time start a background refresh (long.MaxValue: never).</summary>
    public long RefreshAt { get; }

    /// <summary>The entry stays (expired) until this time, as a fail-safe fallback.</summary>
    public long KeepUntil { get; }

    public string[]? Tags { get; }

    public long LastAccess;

    /// <summary>1 while a background refresh runs.</summary>
    public int Refreshing;
}
