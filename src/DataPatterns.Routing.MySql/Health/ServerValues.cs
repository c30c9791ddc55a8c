using System.Globalization;

namespace DataPatterns.Routing.MySql;

/// <summary>Turns values read back from the server into what the probe needs, with errors that say what came back.</summary>
internal static class ServerValues
{
    /// <summary>
    /// <c>@@read_only</c>: 0/1 on MariaDB 10.x and MySQL, OFF/ON (and NO_LOCK...) on MariaDB 11's enum; anything but off is read-only.
    /// </summary>
    public static bool IsReadOnly(object? value) => value switch
    {
        null or DBNull => throw new InvalidOperationException("The server returned NULL for @@global.read_only; is the node a MariaDB or MySQL server?"),
        string text => !(text is "0" || text.Equals("OFF", StringComparison.OrdinalIgnoreCase)),
        byte[] bytes => IsReadOnly(System.Text.Encoding.ASCII.GetString(bytes)),
        _ => Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
    };

    /// <summary>A GTID position column (text, possibly empty) parsed strictly.</summary>
    public static MariaDbGtidPosition GtidPosition(object? value, string variable) => value switch
    {
        null or DBNull => MariaDbGtidPosition.Empty,
        string text => ParsePosition(text, variable),
        byte[] bytes => ParsePosition(System.Text.Encoding.ASCII.GetString(bytes), variable),
        _ => throw new InvalidOperationException($"The server returned {value.GetType().Name} for {variable}, where a GTID position (text) was expected."),
    };

    private static MariaDbGtidPosition ParsePosition(string text, string variable)
    {
        try
        {
            return MariaDbGtidPosition.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"The server's {variable} could not be read: {ex.Message}", ex);
        }
    }
}
