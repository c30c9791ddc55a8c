using System.Security.Cryptography;
using System.Text;

// MD5 keeps the ring ketama-style, and changing the hash would move every key between servers on upgrade. It protects
// nothing here; it only spreads keys.
#pragma warning disable CA5351

namespace DataPatterns.Caching.Memcached.Distribution;

/// <summary>
/// Ketama-style consistent hashing: each server (weight 1) gets 160 points, four per MD5 digest of "host:port-i"
/// (i = 0..39), each point the digest's bytes 4h..4h+3 read little-endian; a key belongs to the first point at or after
/// the first four bytes of its MD5 (read the same way), wrapping past the last point. Placement depends only on the
/// server list, so our processes given the same list agree on where each key lives, and adding or removing a server
/// moves only about its share of the keys. It does not claim to match other clients (libmemcached hashes "host-i"
/// without the port for 11211 and uses other point counts), and the stored keys are base64 of prefixed keys anyway.
/// </summary>
internal sealed class KetamaRing
{
    public const int PointsPerServer = 160;
    private const int PointsPerDigest = 4;

    private readonly uint[] _points;
    private readonly int[] _owners;

    public KetamaRing(IReadOnlyList<string> serverNames)
    {
        ArgumentNullException.ThrowIfNull(serverNames);
        if (serverNames.Count == 0)
        {
            throw new ArgumentException("A ring needs at least one server.", nameof(serverNames));
        }

        ServerCount = serverNames.Count;
        var points = new List<(uint Point, int Owner)>(serverNames.Count * PointsPerServer);
        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        for (var server = 0; server < serverNames.Count; server++)
        {
            for (var i = 0; i < PointsPerServer / PointsPerDigest; i++)
            {
                MD5.HashData(Encoding.UTF8.GetBytes($"{serverNames[server]}-{i}"), digest);
                for (var h = 0; h < PointsPerDigest; h++)
                {
                    points.Add((PointOf(digest, h), server));
                }
            }
        }

        // Equal points (rare) are ordered by server so every process builds the same ring.
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Owner.CompareTo(b.Owner));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    public int ServerCount { get; }

    /// <summary>The key's hash on the ring: the first four bytes of MD5(UTF-8 key), little-endian.</summary>
    public static uint HashOf(ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        MD5.HashData(key, digest);
        return PointOf(digest, 0);
    }

    /// <summary>The server that owns <paramref name="hash"/>.</summary>
    public int OwnerOf(uint hash) => _owners[FirstPointAtOrAfter(hash)];

    /// <summary>
    /// The first server at or after <paramref name="hash"/> for which <paramref name="usable"/> (given the state, the
    /// server's index and <paramref name="now"/>) holds: a server marked
    /// down passes its keys to the next servers along the ring (each of its points to whichever server follows it), so
    /// the other servers' keys stay where they are. -1 when no server is usable.
    /// </summary>
    public int OwnerOf<TState>(uint hash, TState state, Func<TState, int, long, bool> usable, long now)
    {
        ArgumentNullException.ThrowIfNull(usable);
        var start = FirstPointAtOrAfter(hash);
        for (var step = 0; step < _points.Length; step++)
        {
            var owner = _owners[(start + step) % _points.Length];
            if (usable(state, owner, now))
            {
                return owner;
            }
        }

        return -1;
    }

    private int FirstPointAtOrAfter(uint hash)
    {
        var index = Array.BinarySearch(_points, hash);
        if (index < 0)
        {
            index = ~index;
        }
        else
        {
            while (index > 0 && _points[index - 1] == hash)
            {
                index--; // the first of equal points, as a lower-bound search finds it
            }
        }

        return index == _points.Length ? 0 : index;
    }

    private static uint PointOf(ReadOnlySpan<byte> digest, int h) =>
        ((uint)digest[(h * 4) + 3] << 24) | ((uint)digest[(h * 4) + 2] << 16) | ((uint)digest[(h * 4) + 1] << 8) | digest[h * 4];
}
