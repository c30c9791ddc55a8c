using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DataPatterns.Routing;

/// <summary>
/// A position in the primary's write log (for PostgreSQL, a WAL LSN) that a read must see: a replica serves a
/// read-your-writes read only once it has replayed at least this far. The text form is PostgreSQL's <c>pg_lsn</c>
/// form (<c>16/B374D848</c>: the high and low 32 bits in hexadecimal), safe for a cookie or a header, so a token can
/// travel to the next request of the same user. <see cref="None"/> (position 0) asks for nothing.
/// </summary>
public readonly struct ConsistencyToken : IEquatable<ConsistencyToken>, IComparable<ConsistencyToken>, ISpanFormattable
{
    /// <summary>Creates a token for a log position.</summary>
    /// <param name="position">The 64-bit log position.</param>
    public ConsistencyToken(ulong position) => Position = position;

    /// <summary>The token that requires nothing: every replica satisfies it.</summary>
    public static ConsistencyToken None => default;

    /// <summary>The 64-bit log position.</summary>
    public ulong Position { get; }

    /// <summary>True for <see cref="None"/>.</summary>
    public bool IsNone => Position == 0;

    /// <summary>The later of two tokens (the one that asks for more).</summary>
    public static ConsistencyToken Max(ConsistencyToken left, ConsistencyToken right) => left.Position >= right.Position ? left : right;

    /// <summary>Parses the text form (<c>16/B374D848</c>).</summary>
    /// <exception cref="FormatException">The text is not two hexadecimal numbers separated by '/'.</exception>
    public static ConsistencyToken Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var token)
            ? token
            : throw new FormatException($"'{text}' is not a consistency token; expected two hexadecimal numbers separated by '/', as in '16/B374D848'.");
    }

    /// <summary>Parses the text form; false (and <see cref="None"/>) when it is not a token.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ConsistencyToken token) => TryParse(text.AsSpan(), out token) && text is not null;

    /// <summary>Parses the text form; false (and <see cref="None"/>) when it is not a token.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out ConsistencyToken token)
    {
        token = default;
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash > 8 || text.Length - slash - 1 is <= 0 or > 8)
        {
            return false;
        }

        if (!uint.TryParse(text[..slash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(text[(slash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        token = new ConsistencyToken(((ulong)high << 32) | low);
        return true;
    }

    /// <summary>The text form, <c>16/B374D848</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{(uint)(Position >> 32):X}/{(uint)Position:X}");

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"{(uint)(Position >> 32):X}/{(uint)Position:X}", out charsWritten);

    /// <inheritdoc />
    public bool Equals(ConsistencyToken other) => Position == other.Position;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ConsistencyToken other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Position.GetHashCode();

    /// <inheritdoc />
    public int CompareTo(ConsistencyToken other) => Position.CompareTo(other.Position);

    /// <summary>Equality of positions.</summary>
    public static bool operator ==(ConsistencyToken left, ConsistencyToken right) => left.Equals(right);

    /// <summary>Inequality of positions.</summary>
    public static bool operator !=(ConsistencyToken left, ConsistencyToken right) => !left.Equals(right);

    /// <summary>Earlier position.</summary>
    public static bool operator <(ConsistencyToken left, ConsistencyToken right) => left.Position < right.Position;

    /// <summary>Later position.</summary>
    public static bool operator >(ConsistencyToken left, ConsistencyToken right) => left.Position > right.Position;

    /// <summary>Earlier or equal position.</summary>
    public static bool operator <=(ConsistencyToken left, ConsistencyToken right) => left.Position <= right.Position;

    /// <summary>Later or equal position.</summary>
    public static bool operator >=(ConsistencyToken left, ConsistencyToken right) => left.Position >= right.Position;
}
