using DataPatterns.Caching.Tests;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Redis.Tests;

/// <summary>
/// The caching model's properties (DataPatterns.Caching.Tests' CacheModel) with the real Redis of eng/services.sh as
/// the distributed level: what the cache serves matches the model at every step, as it does with the fake level and
/// with Memcached.
/// </summary>
public class CacheModelOnRedisTests
{
    [Property(MaxTest = 100, Arbitrary = [typeof(CacheScript)])]
    public void Reads_never_serve_a_value_past_its_expiry_plus_the_fail_safe_window_only_when_the_loader_failed(CacheScript script, bool writeThrough)
    {
        CacheModel.RunReadModel(script.Bytes, withDistributed: true, writeThrough, Redis()).GetAwaiter().GetResult();
    }

    [Property(MaxTest = 50, Arbitrary = [typeof(CacheScript)])]
    public void After_a_write_back_flush_the_database_holds_the_last_written_value_of_every_key(CacheScript script)
    {
        CacheModel.RunWriteBackModel(script.Bytes, withDistributed: true, Redis()).GetAwaiter().GetResult();
    }

    /// <summary>Each run is an application of its own, so runs never read each other's entries on the shared server.</summary>
    private static Action<CachingBuilder> Redis()
    {
        var application = RedisInstance.NewApplication();
        return caching => caching.Configure(o => o.ApplicationName = application).UseRedis(o => o.Configuration = RedisInstance.SharedRedis + RedisInstance.ShortTimeouts);
    }
}
