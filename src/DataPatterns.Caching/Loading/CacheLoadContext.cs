namespace DataPatterns.Caching;

/// <summary>
/// What a loader decides about the entry it returns, for loaders that know better than the cache's settings: how long
/// this result lives, which tags it carries, or that it must not be cached at all (a partial result, an error page, a
/// value that is already stale). One context per load; set it before the load returns.
/// </summary>
public sealed class CacheLoadContext
{
    /// <summary>The longest lifetime a loader may give an entry.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(365);

    private TimeSpan? _duration;

    /// <summary>
    /// How long this result lives, in place of <see cref="ExpirationOptions.Duration"/> (or, for a "not found",
    /// <see cref="LoadingOptions.NotFoundDuration"/>); null keeps the cache's setting. Jitter is not added to it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not above zero, or above <see cref="MaxDuration"/>.</exception>
    public TimeSpan? Duration
    {
        get => _duration;
        set
        {
            if (value is { } duration && (duration <= TimeSpan.Zero || duration > MaxDuration))
            {
                throw new ArgumentOutOfRangeException(nameof(value), duration, $"A loaded entry's Duration must be above zero and at most {MaxDuration.TotalDays:0} days; set DoNotCache instead of a zero duration.");
            }

            _duration = value;
        }
    }

    /// <summary>Tags for <see cref="ICache{TKey, TValue}.RemoveByTagAsync"/> (non-empty, at most 256 characters each); null for none.</summary>
    public IReadOnlyCollection<string>? Tags { get; set; }

    /// <summary>
    /// Return the result to its callers but keep it in neither level (any older copy of the key is removed, so neither a
    /// reader nor fail-safe serves it later). Default false.
    /// </summary>
    public bool DoNotCache { get; set; }

    /// <summary>
    /// A shorter lifetime for the memory copy (HybridCache's LocalCacheExpiration); null uses <see cref="Duration"/>.
    /// Internal: only the HybridCache adapter sets it, so the public contract stays one lifetime per entry.
    /// </summary>
    internal TimeSpan? MemoryDuration { get; set; }
}
