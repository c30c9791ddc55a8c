using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Tests;

/// <summary>
/// The caching model: a script (bytes decoded as get / set / remove / advance-time / database switches) run against a
/// cache, every step checked against a simple model of what the cache may serve. The distributed level is the fake
/// in-memory one, or a real store plugged in by <c>level</c> (the Memcached tests link this file and pass theirs).
/// </summary>
public static class CacheModel
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxStale = TimeSpan.FromSeconds(5);

    public static async Task RunReadModel(byte[] script, bool withDistributed, bool writeThrough, Action<CachingBuilder>? level = null)
    {
        await using var fixture = new CacheFixture(
            o =>
            {
                o.Expiration.Duration = Duration;
                o.FailSafe.Enabled = true;
                o.FailSafe.MaxStaleDuration = MaxStale;
                o.WriteStrategy = writeThrough ? CacheWriteStrategy.WriteThrough : CacheWriteStrategy.CacheOnly;
            },
            withDistributed,
            level: level);
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
                    Assert.True(level is not null || read.IsCompleted, "with a synchronous loader and L2 a read completes at once");
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

    public static async Task RunWriteBackModel(byte[] script, bool withDistributed, Action<CachingBuilder>? level = null)
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
            withDistributed,
            level: level);
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
