using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace DataPatterns.Caching;

/// <summary>
/// An entry as stored in the distributed level: a small binary header (format version, flags, expiry, creation time,
/// tags) followed by the serialised value. Times are Unix milliseconds, so every instance reads them the same way.
/// </summary>
internal sealed class DistributedEntry<TValue>
{
    // The key layout's version: entries of layout 1 (read as misses) never pass for entries of another key.
    private const byte FormatVersion = CacheKeyLayout.Version;
    private const byte NotFoundFlag = 1;
    private const int FixedHeader = 1 + 1 + 8 + 8 + 2;

    public DistributedEntry(TValue? value, bool isNotFound, long expiresAtMs, long createdAtMs, string[]? tags)
    {
        Value = value;
        IsNotFound = isNotFound;
        ExpiresAtMs = expiresAtMs;
        CreatedAtMs = createdAtMs;
        Tags = tags;
    }

    public TValue? Value { get; }

    public bool IsNotFound { get; }

    public long ExpiresAtMs { get; }

    public long CreatedAtMs { get; }

    public string[]? Tags { get; }

    public static byte[] Encode(TValue? value, bool isNotFound, long expiresAtMs, long createdAtMs, string[]? tags, ICacheSerializer<TValue> serializer)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var header = buffer.GetSpan(FixedHeader);
        header[0] = FormatVersion;
        header[1] = isNotFound ? NotFoundFlag : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(header[2..], expiresAtMs);
        BinaryPrimitives.WriteInt64LittleEndian(header[10..], createdAtMs);
        BinaryPrimitives.WriteUInt16LittleEndian(header[18..], (ushort)(tags?.Length ?? 0));
        buffer.Advance(FixedHeader);
        foreach (var tag in tags ?? [])
        {
            var length = Encoding.UTF8.GetByteCount(tag);
            var span = buffer.GetSpan(2 + length);
            BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
            Encoding.UTF8.GetBytes(tag, span[2..]);
            buffer.Advance(2 + length);
        }

        if (!isNotFound)
        {
            try
            {
                serializer.Serialize(value!, buffer);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new CacheSerializationException(
                    $"A value of type {typeof(TValue).Name} could not be serialised for the distributed level: {ex.Message} Make the type serialisable by System.Text.Json or register an ICacheSerializer<{typeof(TValue).Name}>.",
                    ex);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes <paramref name="data"/>; null when it is not in this format (an entry written by something else).</summary>
    public static DistributedEntry<TValue>? Decode(ReadOnlySpan<byte> data, ICacheSerializer<TValue> serializer)
    {
        if (data.Length < FixedHeader || data[0] != FormatVersion)
        {
            return null;
        }

        var isNotFound = (data[1] & NotFoundFlag) != 0;
        var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(data[2..]);
        var createdAt = BinaryPrimitives.ReadInt64LittleEndian(data[10..]);
        int tagCount = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
        var position = FixedHeader;
        string[]? tags = null;
        if (tagCount > 0)
        {
            tags = new string[tagCount];
            for (var i = 0; i < tagCount; i++)
            {
                if (position + 2 > data.Length)
                {
                    return null;
                }

                int length = BinaryPrimitives.ReadUInt16LittleEndian(data[position..]);
                position += 2;
                if (position + length > data.Length)
                {
                    return null;
                }

                tags[i] = Encoding.UTF8.GetString(data.Slice(position, length));
                position += length;
            }
        }

        var value = isNotFound ? default : serializer.Deserialize(data[position..]);
        return new DistributedEntry<TValue>(value, isNotFound, expiresAt, createdAt, tags);
    }
}
