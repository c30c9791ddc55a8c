using System.Buffers;
using System.Globalization;
using System.Text;

namespace DataPatterns.Caching;

/// <summary>
/// Turns a typed key into the string used in the distributed level: strings as they are, numbers, GUIDs and other
/// <see cref="IFormattable"/> keys in the invariant culture, anything else as its serialised (JSON) form.
/// </summary>
internal static class CacheKeyFormatter
{
    public static string Format<TKey>(TKey key, ICacheSerializer<TKey> serializer)
        where TKey : notnull
    {
        switch (key)
        {
            case string text:
                return text;
            case IFormattable formattable:
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            default:
                var buffer = new ArrayBufferWriter<byte>();
                serializer.Serialize(key, buffer);
                return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }

    /// <summary>
    /// Whether <paramref name="text"/> holds a surrogate without its pair. Stores take keys as UTF-8, where every such
    /// surrogate becomes U+FFFD, so "a\uD800" and "a\uDC00" would name the same entry.
    /// </summary>
    public static bool HasUnpairedSurrogate(string text)
    {
        var span = text.AsSpan();
        var at = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (at >= 0)
        {
            if (!char.IsHighSurrogate(span[at]) || at + 1 >= span.Length || !char.IsLowSurrogate(span[at + 1]))
            {
                return true;
            }

            span = span[(at + 2)..];
            at = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        }

        return false;
    }

    public static byte[] Serialize<T>(T value, ICacheSerializer<T> serializer, string what)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            serializer.Serialize(value, buffer);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new CacheSerializationException(
                $"A {what} of type {typeof(T).Name} could not be serialised: {ex.Message} Make the type serialisable by System.Text.Json or register an ICacheSerializer<{typeof(T).Name}>.",
                ex);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
