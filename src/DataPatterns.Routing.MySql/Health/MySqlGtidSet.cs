using System.Globalization;

namespace DataPatterns.Routing.MySql;

/// <summary>
/// MySQL's <c>@@gtid_executed</c> (<c>uuid:1-100:102,uuid2:1-5</c>) reduced to the number of transactions it holds. On
/// MySQL that count is the node's position for the lag bound only: it grows by one per transaction on the primary and per
/// applied transaction on a replica. It is never a read-your-writes token (two sets of equal size need not be equal).
/// </summary>
internal static class MySqlGtidSet
{
    public static ulong CountTransactions(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ulong count = 0;
        foreach (var member in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = member.Split(':');
            if (parts.Length < 2 || !Guid.TryParse(parts[0], out _))
            {
                throw Invalid(text, $"'{member}' does not start with a source uuid and a ':'.");
            }

            for (var i = 1; i < parts.Length; i++)
            {
                count += CountInterval(text, parts[i]);
            }
        }

        return count;
    }

    private static ulong CountInterval(string text, string interval)
    {
        var dash = interval.IndexOf('-', StringComparison.Ordinal);
        var first = dash < 0 ? interval : interval[..dash];
        var last = dash < 0 ? interval : interval[(dash + 1)..];
        if (!ulong.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !ulong.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var to) || to < from)
        {
            throw Invalid(text, $"'{interval}' is not a transaction number or an increasing range 'first-last'.");
        }

        return to - from + 1;
    }

    private static InvalidOperationException Invalid(string text, string what) =>
        new($"The server's @@gtid_executed could not be read: {what} The whole value starts '{(text.Length <= 80 ? text : text[..80])}'.");
}
