using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Caching.Tests;

/// <summary>
/// Model-based properties: FsCheck generates a script (bytes decoded as get / set / remove / advance-time / database
/// switches) and every step is checked against a simple model of what the cache may serve.
/// </summary>
public class CacheModelTests
{
    [Property(MaxTest = 200, Arbitrary = [typeof(CacheScript)])]
    public void Reads_never_serve_a_value_past_its_expiry_plus_the_fail_safe_window_only_when_the_loader_failed(CacheScript script, bool withDistributed, bool writeThrough)
    {
        CacheModel.RunReadModel(script.Bytes, withDistributed, writeThrough).GetAwaiter().GetResult();
    }

    [Property(MaxTest = 100, Arbitrary = [typeof(CacheScript)])]
    public void After_a_write_back_flush_the_database_holds_the_last_written_value_of_every_key(CacheScript script, bool withDistributed)
    {
        CacheModel.RunWriteBackModel(script.Bytes, withDistributed).GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 4, 0, 15, 6, 0, 1, 0, 0, 0 }, false, false)] // load, 15 s, loader down, read past the window
    [InlineData(new byte[] { 0, 1, 0, 4, 0, 12, 6, 0, 1, 0, 1, 0 }, true, false)] // the same from L2, inside the window
    [InlineData(new byte[] { 6, 0, 2, 2, 1, 0, 0, 1, 0 }, false, true)] // write-through with the writer down
    [InlineData(new byte[] { 2, 3, 0, 4, 0, 11, 0, 3, 0, 6, 0, 1, 0, 3, 0 }, true, false)] // set, expire, "not found", loader down: no stale value
    public async Task Model_examples(byte[] script, bool withDistributed, bool writeThrough) =>
        await CacheModel.RunReadModel(script, withDistributed, writeThrough);
}
