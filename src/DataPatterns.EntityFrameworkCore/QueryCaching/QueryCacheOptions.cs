namespace DataPatterns.EntityFrameworkCore.QueryCaching;

/// <summary>Settings of the EF Core second-level query cache (<c>AddEntityFrameworkQueryCache</c>).</summary>
public sealed class QueryCacheOptions
{
    /// <summary>How long a cached query result lives when the call names no expiration. Default 5 minutes.</summary>
    public TimeSpan DefaultExpiration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// After a committed change invalidates its tables, they are invalidated once more after this delay. Entries are dated
    /// by when their load began, so a load that straddles another instance's commit is already hidden by the first
    /// invalidation; the second covers instances whose clocks run ahead of the saver's (their entries look newer than
    /// the marker). Default 5 seconds; <see cref="TimeSpan.Zero"/> turns the second invalidation off.
    /// </summary>
    public TimeSpan ReinvalidateAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The first part of every cache key (letters, digits, '.', '-', '_'): give two applications that share one Redis and
    /// one cache name different prefixes. Default <c>efq</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "efq";
}
