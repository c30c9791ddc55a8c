using System.Text;
using DataPatterns.Caching.Memcached.Distribution;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>Keys land where the ketama-style ring puts them, and a server marked down passes only its own keys on.</summary>
public class KetamaPlacementTests
{
    private static readonly string[] Servers = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"];

    // Expected values computed independently with Python's hashlib:
    //   point(d, h) = d[4h+3]<<24 | d[4h+2]<<16 | d[4h+1]<<8 | d[4h]
    //   ring = sorted(point(md5(f"{s}-{i}"), h) for each server s, i in 0..39, h in 0..3)
    //   owner(key) = first ring point >= point(md5(key), 0), wrapping to the first
    // e.g. md5("10.0.0.1:11211-0") = 76240962e29fe30f407f595c517e7577; the ring's first points are
    // 7234733 and 12697329 (10.0.0.2) and 24500654 (10.0.0.3).
    [Theory]
    [InlineData("foo", 3675831724u, "10.0.0.3:11211")]
    [InlineData("bar", 421377335u, "10.0.0.1:11211")]
    [InlineData("user:42", 417323606u, "10.0.0.1:11211")]
    [InlineData("caf\u00e9", 3833532679u, "10.0.0.2:11211")]
    public void Keys_are_placed_on_the_ketama_style_ring(string key, uint expectedHash, string expectedServer)
    {
        var ring = new KetamaRing(Servers);
        var hash = KetamaRing.HashOf(Encoding.UTF8.GetBytes(key));

        Assert.Equal(expectedHash, hash);
        Assert.Equal(expectedServer, Servers[ring.OwnerOf(hash)]);
    }

    [Fact]
    public void A_key_past_the_last_point_wraps_to_the_first()
    {
        var ring = new KetamaRing(Servers);

        Assert.Equal("10.0.0.2:11211", Servers[ring.OwnerOf(uint.MaxValue)]);
        Assert.Equal("10.0.0.2:11211", Servers[ring.OwnerOf(0)]);
    }

    [Fact]
    public void A_server_marked_down_moves_only_its_own_keys()
    {
        var ring = new KetamaRing(Servers);
        var moved = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var hash = KetamaRing.HashOf(Encoding.UTF8.GetBytes($"key-{i}"));
            var before = ring.OwnerOf(hash);
            var after = ring.OwnerOf(hash, 1, static (down, server, _) => server != down, 0);
            if (before == 1)
            {
                Assert.NotEqual(1, after);
                moved++;
            }
            else
            {
                Assert.Equal(before, after);
            }
        }

        Assert.InRange(moved, 2_000, 4_700); // about a third
    }

    [Fact]
    public void With_every_server_down_no_server_is_returned()
    {
        var ring = new KetamaRing(Servers);

        Assert.Equal(-1, ring.OwnerOf(12345u, 0, static (_, _, _) => false, 0));
    }
}
