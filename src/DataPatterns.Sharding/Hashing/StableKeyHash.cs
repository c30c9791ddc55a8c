using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.IO.Hashing;

namespace DataPatterns.Sharding;

/// <summary>
/// The stable 64-bit hash every hash-based strategy starts from: XXH3 (seed 0) over the key's canonical bytes.
/// The same key gives the same hash in every process, on every machine and in every later version of this package;
/// changing any of these encodings would move data, so they are fixed:
/// <list type="bullet">
/// <item><description><see cref="int"/> and <see cref="long"/>: the value as a 64-bit integer, little-endian (an id widened from int to long keeps its shard).</description></item>
/// <item><description><see cref="Guid"/>: its 16 bytes in RFC 4122 (big-endian) order, as its string form reads.</description></item>
/// <item><description><see cref="string"/>: its UTF-8 bytes, ordinal (case and normalisation are the caller's choice).</description></item>
/// </list>
/// <see cref="object.GetHashCode"/> is never used: it is randomised per process for strings.
/// </summary>
public static class StableKeyHash
{
    // Strings up to this many chars are encoded on the stack; longer ones borrow a pooled buffer.
    private const int StackEncodeLimit = 256;

    /// <summary>Hashes a 32-bit key (as the same 64-bit value, so int and long ids agree).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(int key) => Hash((long)key);

    /// <summary>Hashes a 64-bit key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(long key)
    {
        // The key's own 8 bytes, little-endian, hashed in place: no copy on little-endian machines.
        var littleEndian = BitConverter.IsLittleEndian ? key : BinaryPrimitives.ReverseEndianness(key);
        return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(new ReadOnlySpan<long>(in littleEndian)));
    }

    /// <summary>Hashes a GUID key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(Guid key)
    {
        Span<byte> bytes = stackalloc byte[16];
        key.TryWriteBytes(bytes, bigEndian: true, out _);
        return XxHash3.HashToUInt64(bytes);
    }

    /// <summary>Hashes a string key by its UTF-8 bytes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public static ulong Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Hash(key.AsSpan());
    }

    /// <summary>Hashes a string key given as characters, by their UTF-8 bytes.</summary>
    [SkipLocalsInit] // the buffer is written before it is read; zeroing it would cost more than the hash
    public static ulong Hash(ReadOnlySpan<char> key)
    {
        if (key.Length <= StackEncodeLimit)
        {
            Span<byte> buffer = stackalloc byte[key.Length * 3];
            var written = Encoding.UTF8.GetBytes(key, buffer);
            return XxHash3.HashToUInt64(buffer[..written]);
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(key.Length));
        try
        {
            var written = Encoding.UTF8.GetBytes(key, rented);
            return XxHash3.HashToUInt64(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Hashes raw canonical bytes (for keys that encode themselves).</summary>
    public static ulong Hash(ReadOnlySpan<byte> canonicalBytes) => XxHash3.HashToUInt64(canonicalBytes);

    /// <summary>
    /// Combines the hashes of the parts of a composite key, in order: XXH3 over the parts' hashes as
    /// little-endian 64-bit values. ("a","bc") and ("ab","c") differ because each part is hashed on its own first.
    /// </summary>
    public static ulong Combine(ulong first, ulong second)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, first);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], second);
        return XxHash3.HashToUInt64(bytes);
    }

    /// <summary>Combines the hashes of three parts of a composite key, in order.</summary>
    public static ulong Combine(ulong first, ulong second, ulong third)
    {
        Span<byte> bytes = stackalloc byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, first);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], second);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[16..], third);
        return XxHash3.HashToUInt64(bytes);
    }

    /// <summary>
    /// A fixed 64-bit finaliser (the MurmurHash3 fmix64 constants) used to derive independent per-shard scores
    /// from one key hash (rendezvous hashing). Part of the stable contract.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong value)
    {
        value ^= value >> 33;
        value *= 0xff51afd7ed558ccdUL;
        value ^= value >> 33;
        value *= 0xc4ceb9fe1a85ec53UL;
        value ^= value >> 33;
        return value;
    }
}
