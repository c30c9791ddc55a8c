using DataPatterns.Caching.Tests;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>
/// The caching model's properties (DataPatterns.Caching.Tests' CacheModel) with the real memcached servers of
/// eng/services.sh as the distributed level: what the cache serves matches the model at every step.
/// </summary>
public class CacheModelOnMemcachedTests
{
    [Property(MaxTest = 100, Arbitrary = [typeof(CacheScript)])]
    public void Reads_never_serve_a_value_past_its_expiry_plus_the_fail_safe_window_only_when_the_loader_failed(CacheScript script, bool writeThrough)
    {
        CacheModel.RunReadModel(script.Bytes, withDistributed: true, writeThrough, Memcached()).GetAwaiter().GetResult();
    }

    [Property(MaxTest = 50, Arbitrary = [typeof(CacheScript)])]
    public void After_a_write_back_flush_the_database_holds_the_last_written_value_of_every_key(CacheScript script)
    {
        CacheModel.RunWriteBackModel(script.Bytes, withDistributed: true, Memcached()).GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 0, 4, 0, 12, 6, 0, 1, 0, 1, 0 }, false)] // from L2, inside the fail-safe window
    [InlineData(new byte[] { 2, 3, 0, 4, 0, 11, 0, 3, 0, 6, 0, 1, 0, 3, 0 }, false)] // set, expire, "not found", loader down: no stale value
    [InlineData(new byte[] { 6, 0, 2, 2, 1, 0, 0, 1, 0 }, true)] // write-through with the writer down
    public async Task Model_examples(byte[] script, bool writeThrough) =>
        await CacheModel.RunReadModel(script, withDistributed: true, writeThrough, Memcached());

    /// <summary>Each run is an application of its own, so runs never read each other's entries on the shared servers.</summary>
    private static Action<CachingBuilder> Memcached()
    {
        var servers = MemcachedInstance.SharedServersAsync().GetAwaiter().GetResult();
        var application = MemcachedInstance.NewApplication();
        return caching => caching.Configure(o => o.ApplicationName = application).UseMemcached(o => o.Servers = [.. servers]);
    }
}
