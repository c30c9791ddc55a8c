using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace DataPatterns.Caching.Memcached.Client;

/// <summary>
/// Reads one meta-protocol answer from what the server sent. Every byte is untrusted: the line is bounded, lengths are
/// checked against the item size limit, the value must end with CRLF, and the opaque token must be the one the command
/// at the head of the queue was sent with, so an answer can never be taken for another key's. Anything else throws
/// <see cref="MemcachedProtocolException"/>, and the caller closes the connection.
/// </summary>
internal static class MetaResponseParser
{
    /// <summary>The longest answer line accepted (the longest the client can provoke is under 100 bytes).</summary>
    public const int MaxLineLength = 1024;

    /// <summary>
    /// Parses the answer to <paramref name="head"/> at the start of <paramref name="buffer"/>. False when more bytes are
    /// needed (nothing consumed). True with <paramref name="commandError"/> set when the server refused this command
    /// alone and the connection stays usable (an item too large or out of memory: the server discards the value).
    /// </summary>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, MetaCommand head, int maxValueLength, out MetaResult result,
        out ReadOnlySequence<byte> value, out Exception? commandError)
    {
        result = default;
        value = default;
        commandError = null;
        var end = buffer.Slice(0, Math.Min(buffer.Length, MaxLineLength)).PositionOf((byte)'\n');
        if (end is null)
        {
            return buffer.Length >= MaxLineLength
                ? throw Malformed($"an answer line longer than {MaxLineLength} bytes")
                : false;
        }

        var lineWithLf = buffer.Slice(0, buffer.GetPosition(1, end.Value));
        Span<byte> line = stackalloc byte[(int)lineWithLf.Length];
        lineWithLf.CopyTo(line);
        if (line.Length < 2 || line[^2] != (byte)'\r')
        {
            throw Malformed("a line not ended by CRLF");
        }

        line = line[..^2];
        var rest = buffer.Slice(lineWithLf.Length);
        var space = line.IndexOf((byte)' ');
        var code = space >= 0 ? line[..space] : line;
        var flags = space >= 0 ? line[(space + 1)..] : [];
        if (code.SequenceEqual("SERVER_ERROR"u8) || code.SequenceEqual("CLIENT_ERROR"u8) || code.SequenceEqual("ERROR"u8))
        {
            commandError = ErrorOf(code, flags, head, maxValueLength);
            buffer = rest;
            return true;
        }

        if (code.SequenceEqual("VA"u8))
        {
            return ParseValue(ref buffer, rest, head, flags, maxValueLength, out result, out value);
        }

        var status = code switch
        {
            _ when code.SequenceEqual("EN"u8) && head.Kind == MetaCommandKind.Get => MetaStatus.Miss,
            _ when code.SequenceEqual("HD"u8) && head.Kind is MetaCommandKind.Set or MetaCommandKind.Delete => MetaStatus.Done,
            _ when code.SequenceEqual("NS"u8) && head.Kind == MetaCommandKind.Set => MetaStatus.NotStored,
            _ when code.SequenceEqual("NF"u8) && head.Kind == MetaCommandKind.Delete => MetaStatus.NotFound,
            _ when code.SequenceEqual("MN"u8) && head.Kind == MetaCommandKind.Noop && flags.IsEmpty => MetaStatus.Noop,
            _ when code.SequenceEqual("OK"u8) && head.Kind == MetaCommandKind.FlushAll && flags.IsEmpty => MetaStatus.Done,
            _ => throw Malformed($"'{Printable(code)}' in answer to {head.Kind}"),
        };
        if (head.Kind is not (MetaCommandKind.Noop or MetaCommandKind.FlushAll))
        {
            ReadFlags(flags, head, allowTtl: false);
        }

        result = new MetaResult(status);
        buffer = rest;
        return true;
    }

    private static bool ParseValue(ref ReadOnlySequence<byte> buffer, ReadOnlySequence<byte> rest, MetaCommand head, ReadOnlySpan<byte> flags,
        int maxValueLength, out MetaResult result, out ReadOnlySequence<byte> value)
    {
        result = default;
        value = default;
        if (head.Kind != MetaCommandKind.Get)
        {
            throw Malformed($"a value in answer to {head.Kind}");
        }

        var space = flags.IndexOf((byte)' ');
        var sizeText = space >= 0 ? flags[..space] : flags;
        if (sizeText.IsEmpty || sizeText.Length > 10 || !Utf8Parser.TryParse(sizeText, out int size, out var consumed) || consumed != sizeText.Length
            || size < 0 || size > maxValueLength)
        {
            throw Malformed($"a value length '{Printable(sizeText)}' that is not a number from 0 to {maxValueLength}");
        }

        var ttl = ReadFlags(space >= 0 ? flags[(space + 1)..] : [], head, allowTtl: true);
        if (rest.Length < size + 2L)
        {
            return false;
        }

        Span<byte> crlf = stackalloc byte[2];
        rest.Slice(size, 2).CopyTo(crlf);
        if (!crlf.SequenceEqual("\r\n"u8))
        {
            throw Malformed("a value not followed by CRLF where its length said it ends");
        }

        value = rest.Slice(0, size);
        result = new MetaResult(MetaStatus.Hit, ttl, size);
        buffer = rest.Slice(size + 2);
        return true;
    }

    /// <summary>Checks the return flags: the opaque token must match; <c>t</c> only where asked for. Returns the TTL.</summary>
    private static int ReadFlags(ReadOnlySpan<byte> flags, MetaCommand head, bool allowTtl)
    {
        var ttl = 0;
        var opaqueSeen = false;
        while (!flags.IsEmpty)
        {
            var space = flags.IndexOf((byte)' ');
            var flag = space >= 0 ? flags[..space] : flags;
            flags = space >= 0 ? flags[(space + 1)..] : [];
            if (flag.Length < 2)
            {
                throw Malformed($"a return flag '{Printable(flag)}'");
            }

            var digits = flag[1..];
            if (flag[0] == (byte)'O' && Utf8Parser.TryParse(digits, out uint opaque, out var used) && used == digits.Length)
            {
                if (opaque != head.Opaque)
                {
                    throw Malformed($"the opaque token {opaque} where {head.Opaque} was expected (answers out of step with requests)");
                }

                opaqueSeen = true;
            }
            else if (flag[0] == (byte)'t' && allowTtl && Utf8Parser.TryParse(digits, out int t, out used) && used == digits.Length && t >= -1)
            {
                ttl = t;
            }
            else
            {
                throw Malformed($"a return flag '{Printable(flag)}' that was not asked for");
            }
        }

        return opaqueSeen ? ttl : throw Malformed("an answer without the opaque token it was sent with");
    }

    private static Exception ErrorOf(ReadOnlySpan<byte> code, ReadOnlySpan<byte> message, MetaCommand head, int limit)
    {
        var text = Printable(message);
        if (code.SequenceEqual("SERVER_ERROR"u8) && head.Kind == MetaCommandKind.Set)
        {
            if (message.StartsWith("object too large"u8))
            {
                return new MemcachedItemTooLargeException(
                    $"Memcached refused a value of {head.Value.Length} bytes: 'SERVER_ERROR {text}'. The server's item size limit (-I) is below what MemcachedCachingOptions.MaxItemSize ({limit} bytes) allows: set MaxItemSize to the servers' -I, raise -I on every server, or store smaller values.")
                {
                    ItemSize = head.Value.Length,
                    Limit = limit,
                };
            }

            if (message.StartsWith("out of memory"u8))
            {
                return new MemcachedException($"Memcached could not store a value of {head.Value.Length} bytes: 'SERVER_ERROR {text}'. Give the servers more memory (-m) or store smaller values.");
            }
        }

        if (code.SequenceEqual("CLIENT_ERROR"u8) && head.Kind == MetaCommandKind.FlushAll)
        {
            // memcached -F refuses flush_all with a well-formed error line: the stream is still in step.
            return new MemcachedFlushRefusedException($"Memcached refused flush_all: 'CLIENT_ERROR {text}' (the server runs with -F).");
        }

        // Any other error line may mean the server read our stream differently from how it was meant: the connection goes.
        throw Malformed($"'{Printable(code)} {text}' in answer to {head.Kind}");
    }

    private static MemcachedProtocolException Malformed(string what) =>
        new($"Memcached answered {what}; the connection is closed and the commands on it fail (the cache reads them as misses).");

    /// <summary>At most 100 bytes of what the server sent, with anything unprintable shown as '?'.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.ASCII.GetString(bytes[..Math.Min(bytes.Length, 100)]);
        return string.Create(text.Length, text, static (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = s[i] is >= ' ' and < (char)127 ? s[i] : '?';
            }
        });
    }
}
