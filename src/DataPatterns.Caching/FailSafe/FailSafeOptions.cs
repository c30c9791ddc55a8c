namespace DataPatterns.Caching;

/// <summary>
/// Fail-safe: when the loader fails or times out, a value that expired at most <see cref="MaxStaleDuration"/> ago is
/// served instead of the error (counted in <c>datapatterns.cache.failsafe.served</c>).
/// </summary>
public sealed class FailSafeOptions
{
    /// <summary>Whether fail-safe is on. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>How long after expiry a value may still be served when the loader fails. Default 5 minutes.</summary>
    public TimeSpan MaxStaleDuration { get; set; } = TimeSpan.FromMinutes(5);
}
