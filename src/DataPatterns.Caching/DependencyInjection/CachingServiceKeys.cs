namespace DataPatterns.Caching;

/// <summary>Service keys the caching package looks for in DI.</summary>
public static class CachingServiceKeys
{
    /// <summary>
    /// The key of the <c>IDistributedCache</c> used as the distributed level (L2). <c>UseRedis</c> registers one;
    /// <c>UseDistributedCache()</c> forwards the application's own <c>IDistributedCache</c> here.
    /// </summary>
    public const string DistributedCache = "DataPatterns.Caching";
}
