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
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxStale = TimeSpan.FromSeconds(5);

    [Property(MaxTest = 200, Arbitrary = [typeof(CacheScript)])]
    public void Reads_never_serve_a_value_past_its_expiry_plus_the_fail_safe_window_only_when_the_loader_failed(CacheScript script, bool withDistributed, bool writeThrough)
    {
        RunReadModel(script.Bytes, withDistributed, writeThrough).GetAwaiter().GetResult();
    }

    [Property(MaxTest = 100, Arbitrary = [typeof(CacheScript)])]
    public void After_a_write_back_flush_the_database_holds_the_last_written_value_of_every_key(CacheScript script, bool withDistributed)
    {
        RunWriteBackModel(script.Bytes, withDistributed).GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 4, 0, 15, 6, 0, 1, 0, 0, 0 }, false, false)] // load, 15 s, loader down, read past the window
    [InlineData(new byte[] { 0, 1, 0, 4, 0, 12, 6, 0, 1, 0, 1, 0 }, true, false)] // the same from L2, inside the window
    [InlineData(new byte[] { 6, 0, 2, 2, 1, 0, 0, 1, 0 }, false, true)] // write-through with the writer down
    [InlineData(new byte[] { 2, 3, 0, 4, 0, 11, 0, 3, 0, 6, 0, 1, 0, 3, 0 }, true, false)] // set, expire, "not found", loader down: no stale value
    public async Task Model_examples(byte[] script, bool withDistributed, bool writeThrough) =>
        await RunReadModel(script, withDistributed, writeThrough);

    private static async Task RunReadModel(byte[] script, bool withDistributed, bool writeThrough)
    {
        await using var fixture = new CacheFixture(
            o =>
            {
                o.Expiration.Duration = Duration;
                o.FailSafe.Enabled = true;
                o.FailSafe.MaxStaleDuration = MaxStale;
                o.WriteStrategy = writeThrough ? CacheWriteStrategy.WriteThrough : CacheWriteStrategy.CacheOnly;
            },
            withDistributed);
        var db = fixture.Database;
        for (var key = 0; key < 3; key++)
        {
            db.Rows[key] = $"initial{key}";
        }

        var model = new Dictionary<int, (string Value, DateTimeOffset ExpiresAt)>();
        var version = 0;
        for (var i = 0; i + 2 < script.Length; i += 3)
        {
            var key = script[i + 1] % 4; // key 3 is never in the database: "not found"

            var now = fixture.Time.GetUtcNow();
            switch (script[i] % 7)
            {
                case 0:
                case 1: // get
                {
                    string? expected;
                    var expectFailure = false;
                    if (model.TryGetValue(key, out var entry) && now < entry.ExpiresAt)
                    {
                        expected = entry.Value;
                    }
                    else if (!db.LoaderDown)
                    {
                        expected = db.Rows.TryGetValue(key, out var row) ? row : null;
                        if (expected is null)
                        {
                            model.Remove(key);
                        }
                        else
                        {
                            model[key] = (expected, now + Duration);
                        }
                    }
                    else if (model.TryGetValue(key, out entry) && now < entry.ExpiresAt + MaxStale)
                    {
                        expected = entry.Value; // fail-safe: the loader failed, the value expired less than MaxStale ago
                    }
                    else
                    {
                        expected = null;
                        expectFailure = true;
                    }

                    var read = fixture.Cache.GetOrLoadAsync(key).AsTask();
                    Assert.True(read.IsCompleted, "with a synchronous loader a read completes at once");
                    if (expectFailure)
                    {
                        await Assert.ThrowsAsync<CacheLoadException>(() => read);
                    }
                    else
                    {
                        Assert.Equal(expected, await read);
                    }

                    break;
                }

                case 2: // set
                {
                    var value = $"set{++version}";
                    if (writeThrough && db.WriterDown)
                    {
                        await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Cache.SetAsync(key, value).AsTask());
                        model.Remove(key);
                    }
                    else
                    {
                        await fixture.Cache.SetAsync(key, value);
                        model[key] = (value, now + Duration);
                        if (writeThrough)
                        {
                            Assert.Equal(value, db.Rows[key]); // after write-through returns, database and cache agree
                        }
                    }

                    break;
                }

                case 3: // remove
                    await fixture.Cache.RemoveAsync(key);
                    model.Remove(key);
                    break;
                case 4: // advance time by 0..15 s
                    fixture.Time.Advance(TimeSpan.FromSeconds(script[i + 2] % 16));
                    break;
                case 5: // another writer changes the database behind the cache's back
                    db.Rows[key] = $"db{++version}";
                    break;
                default: // the database goes down or comes back
                    db.LoaderDown = (script[i + 2] & 1) == 1;
                    db.WriterDown = (script[i + 2] & 2) == 2;
                    break;
            }
        }
    }

    private static async Task RunWriteBackModel(byte[] script, bool withDistributed)
    {
        await using var fixture = new CacheFixture(
            o =>
            {
                o.WriteStrategy = CacheWriteStrategy.WriteBack;
                o.WriteBack.BatchSize = 3;
                o.WriteBack.Capacity = 1000;
                o.WriteBack.MaxAttempts = 1000;
                o.WriteBack.RetryDelay = TimeSpan.Zero;
            },
            withDistributed);
        var lastWritten = new Dictionary<int, string>();
        var version = 0;
        for (var i = 0; i + 1 < script.Length; i += 2)
        {
            var key = script[i + 1] % 8;
            switch (script[i] % 4)
            {
                case 0:
                case 1:
                    var value = $"v{++version}";
                    await fixture.Cache.SetAsync(key, value);
                    lastWritten[key] = value;
                    Assert.Equal(value, await fixture.Cache.GetOrLoadAsync(key));
                    break;
                case 2:
                    fixture.Database.WriterDown = !fixture.Database.WriterDown;
                    break;
                default:
                    if (!fixture.Database.WriterDown)
                    {
                        await fixture.Cache.FlushAsync();
                    }

                    break;
            }
        }

        fixture.Database.WriterDown = false;
        await fixture.Cache.FlushAsync();

        Assert.Equal(lastWritten.OrderBy(p => p.Key), fixture.Database.Rows.OrderBy(p => p.Key));
    }

    /// <summary>A script of 5 to 300 random bytes, decoded into operations; shrinks by dropping operations.</summary>
    public sealed record CacheScript(byte[] Bytes)
    {
        public static Arbitrary<CacheScript> Scripts() => Arb.From(
            Gen.Choose(5, 300).SelectMany(length => Gen.ListOf(Gen.Choose(0, 255).Select(b => (byte)b), length)).Select(bytes => new CacheScript([.. bytes])),
            script => Enumerable.Range(0, script.Bytes.Length / 3)
                .Select(op => new CacheScript([.. script.Bytes.Take(op * 3), .. script.Bytes.Skip((op * 3) + 3)])));

        public override string ToString() => $"[{string.Join(", ", Bytes)}]";
    }
}
