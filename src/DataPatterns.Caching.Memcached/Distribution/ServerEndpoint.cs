using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DataPatterns.Caching.Memcached.Distribution;

/// <summary>One server as configured: its host, port and the "host:port" name the ring hashes.</summary>
internal sealed record ServerEndpoint(string Host, int Port)
{
    public string Name { get; } = string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    public static bool TryParse(string? text, [NotNullWhen(true)] out ServerEndpoint? endpoint)
    {
        endpoint = null;
        var value = text?.Trim();
        var colon = value?.LastIndexOf(':') ?? -1;
        if (value is null || colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1]; // an IPv6 literal written the usual way, "[::1]:11211"
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace)
            || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        endpoint = new ServerEndpoint(host, port);
        return true;
    }

    public override string ToString() => Name;
}
