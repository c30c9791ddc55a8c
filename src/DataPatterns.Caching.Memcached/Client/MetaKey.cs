using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace DataPatterns.Caching.Memcached.Client;

/// <summary>
/// Turns any cache key into a meta-protocol key that cannot break a command line: keys are always sent in base64 mode
/// (the <c>b</c> flag), so no space, control character or line break of a key ever reaches the wire. The bytes encoded
/// are a marker byte and the key's UTF-8 when that is short enough for memcached's 250-character key limit once in
/// base64, otherwise a marker and the key's SHA-256: the markers keep a hashed key from ever equalling a literal one.
/// </summary>
internal static class MetaKey
{
    /// <summary>The longest UTF-8 key sent as itself: 1 + 180 bytes is 244 base64 characters, within memcached's 250.</summary>
    public const int MaxLiteralBytes = 180;

    /// <summary>The longest encoded key (base64 of 1 + 180 bytes).</summary>
    public const int MaxEncodedLength = 244;

    private const byte Literal = (byte)'k';
    private const byte Hashed = (byte)'h';

    /// <summary>
    /// Writes the base64 meta key of <paramref name="key"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxEncodedLength"/> bytes) and returns its length; <paramref name="ringHash"/> is the key's ketama hash.
    /// </summary>
    public static int Encode(string key, Span<byte> destination, out uint ringHash)
    {
        ArgumentNullException.ThrowIfNull(key);
        var utf8Length = Encoding.UTF8.GetByteCount(key);
        byte[]? rented = null;
        var utf8 = utf8Length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(utf8Length));
        try
        {
            utf8 = utf8[..Encoding.UTF8.GetBytes(key, utf8)];
            ringHash = Distribution.KetamaRing.HashOf(utf8);
            Span<byte> raw = stackalloc byte[1 + MaxLiteralBytes];
            int rawLength;
            if (utf8.Length <= MaxLiteralBytes)
            {
                raw[0] = Literal;
                utf8.CopyTo(raw[1..]);
                rawLength = 1 + utf8.Length;
            }
            else
            {
                raw[0] = Hashed;
                SHA256.HashData(utf8, raw[1..]);
                rawLength = 1 + SHA256.HashSizeInBytes;
            }

            Base64.EncodeToUtf8(raw[..rawLength], destination, out _, out var written);
            return written;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
