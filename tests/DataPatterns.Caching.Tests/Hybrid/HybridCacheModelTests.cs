using FsCheck.Xunit;
using Microsoft.Extensions.Caching.Hybrid;
using static DataPatterns.Caching.Tests.CacheModelTests;

namespace DataPatterns.Caching.Tests.Hybrid;

/// <summary>
/// Model-based property: any script of GetOrCreate / Set / Remove / RemoveByTag / advance-time on three keys, run on the
/// adapter, answers like a dictionary with expiry times; no value is served at or past its expiry.
/// </summary>
public class HybridCacheModelTests
{
    [Property(MaxTest = 200, Arbitrary = [typeof(CacheScript)])]
    public void The_adapter_answers_like_a_dictionary_with_expiry(CacheScript script, bool withDistributed)
    {
        Run(script.Bytes, withDistributed).GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 3, 4, 0, 3, 0, 0, 1 }, false)] // create (3 s), 3 s later: expired, created again
    [InlineData(new byte[] { 1, 1, 2, 5, 1, 0, 0, 1, 1 }, true)] // set tagged, remove by tag, create
    [InlineData(new byte[] { 0, 2, 1, 2, 2, 0, 4, 0, 1, 0, 2, 9 }, true)] // create, remove, 1 s, create
    public async Task Model_examples(byte[] script, bool withDistributed) => await Run(script, withDistributed);

    private static async Task Run(byte[] script, bool withDistributed)
    {
        await using var fixture = new HybridFixture(withDistributed: withDistributed);
        var cache = fixture.Cache;
        var model = new Dictionary<string, (string Value, DateTimeOffset ExpiresAt, string Tag)>();
        var version = 0;
        for (var i = 0; i + 2 < script.Length; i += 3)
        {
            var key = "k" + (script[i + 1] % 3);
            var seconds = 1 + (script[i + 2] % 5);
            var tag = "t" + (script[i + 2] % 2);
            var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromSeconds(seconds) };
            var now = fixture.Time.GetUtcNow();
            switch (script[i] % 6)
            {
                case 0:
                case 1: // get or create
                {
                    var created = $"created{++version}";
                    var expected = model.TryGetValue(key, out var entry) && now < entry.ExpiresAt ? entry.Value : created;
                    if (expected == created)
                    {
                        model[key] = (created, now + options.Expiration.Value, tag);
                    }

                    Assert.Equal(expected, await cache.GetOrCreateAsync(key, created, static (v, _) => ValueTask.FromResult(v), options, [tag]));
                    break;
                }

                case 2: // set
                {
                    var value = $"set{++version}";
                    await cache.SetAsync(key, value, options, [tag]);
                    model[key] = (value, now + options.Expiration.Value, tag);
                    break;
                }

                case 3: // remove
                    await cache.RemoveAsync(key);
                    model.Remove(key);
                    break;
                case 4: // time passes
                    fixture.Time.Advance(TimeSpan.FromSeconds(script[i + 2] % 7));
                    break;
                default: // remove by tag
                    await cache.RemoveByTagAsync(tag);
                    foreach (var tagged in model.Where(p => p.Value.Tag == tag).Select(p => p.Key).ToList())
                    {
                        model.Remove(tagged);
                    }

                    break;
            }
        }
    }
}
