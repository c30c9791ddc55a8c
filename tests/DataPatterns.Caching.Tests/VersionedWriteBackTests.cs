using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Caching.Tests;

/// <summary>A writer that keeps, per key, only the value with the highest version, as a versioned upsert does.</summary>
internal sealed class VersionedTable : IVersionedCacheWriter<int, string>
{
    public ConcurrentDictionary<int, (string Value, long Version)> Rows { get; } = new();

    public ConcurrentQueue<WriteBackEntry<int, string>> Offered { get; } = new();

    public int PlainWrites;

    public ValueTask WriteAsync(int key, string value, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref PlainWrites);
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteVersionedBatchAsync(IReadOnlyList<WriteBackEntry<int, string>> batch, CancellationToken cancellationToken)
    {
        foreach (var entry in batch)
        {
            Offered.Enqueue(entry);
            Rows.AddOrUpdate(entry.Key, (entry.Value, entry.Version), (_, row) => row.Version < entry.Version ? (entry.Value, entry.Version) : row);
        }

        return ValueTask.CompletedTask;
    }
}

public class VersionedWriteBackTests
{
    [Fact]
    public async Task A_versioned_writer_gets_each_flush_with_a_larger_version_even_when_the_clock_stands_still()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var table = new VersionedTable();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddCaching(c => c
            .AddCache<int, string>("items", o => o.WriteStrategy = CacheWriteStrategy.WriteBack)
            .WithWriter(_ => table));
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredKeyedService<ICache<int, string>>("items");

        for (var round = 0; round < 5; round++)
        {
            await cache.SetAsync(1, $"v{round}");
            await cache.SetAsync(2, $"w{round}");
            await cache.FlushAsync();
        }

        var offered = table.Offered.ToArray();
        Assert.Equal(10, offered.Length);
        Assert.Equal(0, table.PlainWrites);
        foreach (var key in new[] { 1, 2 })
        {
            var versions = offered.Where(e => e.Key == key).Select(e => e.Version).ToArray();
            Assert.Equal(5, versions.Length);
            Assert.All(versions.Zip(versions.Skip(1)), pair => Assert.True(pair.First < pair.Second, "a later write of a key has a larger version"));
        }

        Assert.Equal(10, offered.Select(e => e.Version).Distinct().Count());
        Assert.Equal("v4", table.Rows[1].Value);
        Assert.Equal("w4", table.Rows[2].Value);
        // On the clock's scale, and never behind it (versions handed out earlier in this process may be ahead of the fake clock).
        Assert.True(offered[0].Version >> 20 >= clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    [Property(MaxTest = 300)]
    public Property Versions_order_like_their_millisecond_and_sequence(PositiveInt millisecondsA, NonNegativeInt sequenceA, PositiveInt millisecondsB, NonNegativeInt sequenceB)
    {
        var a = WriteBackVersion.From(millisecondsA.Get, sequenceA.Get % 1_000_000);
        var b = WriteBackVersion.From(millisecondsB.Get, sequenceB.Get % 1_000_000);
        var expected = (millisecondsA.Get, sequenceA.Get % 1_000_000).CompareTo((millisecondsB.Get, sequenceB.Get % 1_000_000));
        return (Math.Sign(a.CompareTo(b)) == Math.Sign(expected)).Label($"{a} vs {b}");
    }

    [Fact]
    public void A_negative_version_part_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WriteBackVersion.From(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WriteBackVersion.From(0, -1));
    }
}
