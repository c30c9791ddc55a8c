using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace DataPatterns.Benchmarks.Sharding;

/// <summary>
/// The baselines: each algorithm as a plain static function over the key, with the hashing written out by hand
/// (XXH3 over the canonical bytes). What the public resolver adds on top is what the ratios show.
/// </summary>
internal static class BareShardFunctions
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [SkipLocalsInit]
    public static ulong Hash<TKey>(TKey key)
    {
        if (typeof(TKey) == typeof(long) || typeof(TKey) == typeof(int))
        {
            var value = typeof(TKey) == typeof(long) ? Unsafe.As<TKey, long>(ref key) : Unsafe.As<TKey, int>(ref key);
            var littleEndian = BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
            return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(new ReadOnlySpan<long>(in littleEndian)));
        }

        if (typeof(TKey) == typeof(Guid))
        {
            Span<byte> buffer = stackalloc byte[16];
            Unsafe.As<TKey, Guid>(ref key).TryWriteBytes(buffer, bigEndian: true, out _);
            return XxHash3.HashToUInt64(buffer);
        }

        var text = Unsafe.As<TKey, string>(ref key);
        Span<byte> utf8 = stackalloc byte[text.Length * 3];
        return XxHash3.HashToUInt64(utf8[..Encoding.UTF8.GetBytes(text, utf8)]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Modulo(ulong hash, int shards) => (int)(hash % (ulong)shards);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Jump(ulong key, int buckets)
    {
        long candidate = -1, next = 0;
        while (next < buckets)
        {
            candidate = next;
            key = (key * 2862933555777941757UL) + 1;
            next = (long)((candidate + 1) * (2147483648.0 / ((key >> 33) + 1)));
        }

        return (int)candidate;
    }

    public static int Ring(ulong hash, ulong[] points, int[] owners)
    {
        var index = Array.BinarySearch(points, hash);
        if (index < 0)
        {
            index = ~index;
        }

        return owners[index == points.Length ? 0 : index];
    }

    public static int Rendezvous(ulong hash, ulong[] seeds)
    {
        var best = 0;
        var bestScore = Mix(hash ^ seeds[0]);
        for (var i = 1; i < seeds.Length; i++)
        {
            var score = Mix(hash ^ seeds[i]);
            if (score > bestScore)
            {
                bestScore = score;
                best = i;
            }
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bucket(ulong hash, int[] owners) => owners[(int)Math.BigMul(hash, (ulong)owners.Length, out _)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong value)
    {
        value ^= value >> 33;
        value *= 0xff51afd7ed558ccdUL;
        value ^= value >> 33;
        value *= 0xc4ceb9fe1a85ec53UL;
        value ^= value >> 33;
        return value;
    }
}
