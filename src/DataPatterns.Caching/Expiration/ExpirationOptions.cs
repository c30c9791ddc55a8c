namespace DataPatterns.Caching;

/// <summary>Time-to-live settings.</summary>
public sealed class ExpirationOptions
{
    /// <summary>How long an entry lives after it is loaded or written (absolute). Default 5 minutes.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When set, an entry not read for this long expires earlier; it never lives longer than <see cref="Duration"/>.
    /// Applies to the memory level. Default none.
    /// </summary>
    public TimeSpan? SlidingExpiration { get; set; }

    /// <summary>
    /// A random extra lifetime in [0, JitterMaxDuration) added per entry, so keys loaded together do not expire (and reload)
    /// together. Default zero.
    /// </summary>
    public TimeSpan JitterMaxDuration { get; set; } = TimeSpan.Zero;
}
