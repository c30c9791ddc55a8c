using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// A MariaDB GTID position as the server prints it (<c>@@gtid_binlog_pos</c>, <c>@@gtid_slave_pos</c>): the last
/// transaction of each replication domain, comma-separated (<c>0-1-4876,1-2-17</c>), empty when nothing was written.
/// A replica has replayed a position when, in every domain, its sequence number is at least the position's (the server id
/// is not compared; <c>MASTER_GTID_WAIT</c> compares the same way).
/// </summary>
public sealed class MariaDbGtidPosition
{
    private readonly MariaDbGtid[] _gtids;

    private MariaDbGtidPosition(MariaDbGtid[] gtids) => _gtids = gtids;

    /// <summary>The empty position (nothing written yet).</summary>
    public static MariaDbGtidPosition Empty { get; } = new([]);

    /// <summary>The last transaction of each domain, in the order the server printed them.</summary>
    public IReadOnlyList<MariaDbGtid> Gtids => _gtids;

    /// <summary>The sequence number reached in <paramref name="domainId"/>; 0 when the position has nothing in that domain.</summary>
    /// <param name="domainId">The replication domain.</param>
    public ulong SequenceOf(uint domainId)
    {
        foreach (var gtid in _gtids)
        {
            if (gtid.DomainId == domainId)
            {
                return gtid.SequenceNumber;
            }
        }

        return 0;
    }

    /// <summary>True when the position has a transaction in a domain other than <paramref name="domainId"/>.</summary>
    /// <param name="domainId">The one domain expected.</param>
    public bool HasDomainOtherThan(uint domainId)
    {
        foreach (var gtid in _gtids)
        {
            if (gtid.DomainId != domainId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a position read from the server.</summary>
    /// <param name="text">The server's text (<c>0-1-4876,1-2-17</c>, or empty).</param>
    /// <exception cref="FormatException">The text is not a GTID position; the message says which part is wrong.</exception>
    public static MariaDbGtidPosition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var position, out var error)
            ? position
            : throw new FormatException($"'{Shorten(text)}' is not a MariaDB GTID position: {error} Expected comma-separated domain-server-sequence triples such as '0-1-4876,1-2-17', as @@gtid_binlog_pos prints them.");
    }

    /// <summary>Parses a position; false when the text is not one.</summary>
    /// <param name="text">The text.</param>
    /// <param name="position">The position, or null.</param>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out MariaDbGtidPosition? position) =>
        TryParse(text, out position, out _);

    /// <summary>The server's text form.</summary>
    public override string ToString() => string.Join(',', _gtids);

    private static bool TryParse(string? text, [NotNullWhen(true)] out MariaDbGtidPosition? position, out string error)
    {
        position = null;
        if (text is null)
        {
            error = "it is null.";
            return false;
        }

        var trimmed = text.AsSpan().Trim();
        if (trimmed.IsEmpty)
        {
            position = Empty;
            error = "";
            return true;
        }

        var gtids = new List<MariaDbGtid>();
        foreach (var range in trimmed.Split(','))
        {
            if (!TryParseGtid(trimmed[range].Trim(), out var gtid, out error))
            {
                return false;
            }

            if (gtids.Exists(g => g.DomainId == gtid.DomainId))
            {
                error = $"domain {gtid.DomainId} appears twice.";
                return false;
            }

            gtids.Add(gtid);
        }

        position = new MariaDbGtidPosition([.. gtids]);
        error = "";
        return true;
    }

    private static bool TryParseGtid(ReadOnlySpan<char> text, out MariaDbGtid gtid, out string error)
    {
        gtid = default;
        Span<Range> parts = stackalloc Range[4];
        if (text.Split(parts, '-') != 3)
        {
            error = $"'{Shorten(text.ToString())}' is not three numbers separated by '-'.";
            return false;
        }

        const NumberStyles digits = NumberStyles.None;
        if (!uint.TryParse(text[parts[0]], digits, CultureInfo.InvariantCulture, out var domain)
            || !uint.TryParse(text[parts[1]], digits, CultureInfo.InvariantCulture, out var server)
            || !ulong.TryParse(text[parts[2]], digits, CultureInfo.InvariantCulture, out var sequence))
        {
            error = $"'{Shorten(text.ToString())}' has a part that is not an unsigned number in range (domain and server id 32-bit, sequence 64-bit).";
            return false;
        }

        gtid = new MariaDbGtid(domain, server, sequence);
        error = "";
        return true;
    }

    // Text read back from a server or a cookie may be long or hostile: messages quote only its start.
    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "...");
}
