using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>Reads this package's prepared branches out of <c>XA RECOVER</c>.</summary>
internal static class XaRecovery
{
    /// <summary>
    /// The prepared branches with this package's formatID whose global id starts with <paramref name="globalIdPrefix"/>.
    /// XA RECOVER tells no prepare time, so a branch is reported as prepared when its transaction began: the time in its
    /// version-7 transaction id, on the coordinator's clock. That is never later than the prepare, so recovery's grace
    /// period counts from a little earlier than it would on PostgreSQL.
    /// </summary>
    public static async ValueTask<IReadOnlyList<InDoubtBranch>> ListAsync(MySqlConnection connection, string globalIdPrefix, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("XA RECOVER", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var branches = new List<InDoubtBranch>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // XA RECOVER lists every prepared branch of the server (all databases); the global id names ours.
            var data = reader.GetValue(3) switch
            {
                byte[] bytes => bytes,
                string text => System.Text.Encoding.Latin1.GetBytes(text),
                var other => throw new InvalidDataException($"XA RECOVER returned a data column of type {other?.GetType().Name ?? "null"}; expected VARBINARY."),
            };
            if (MySqlXid.TryRead(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), data, out var globalId)
                && globalId.StartsWith(globalIdPrefix, StringComparison.Ordinal))
            {
                branches.Add(new InDoubtBranch(globalId, BeganAt(globalId)));
            }
        }

        return branches;
    }

    /// <summary>The Unix-millisecond time of a version-7 txid (<c>…:txid:branch</c>); the epoch for anything else.</summary>
    internal static DateTimeOffset BeganAt(string globalId)
    {
        var end = globalId.LastIndexOf(':');
        var start = end > 32 ? end - 32 : -1;
        if (start < 1 || globalId[start - 1] != ':' || globalId[start + 12] != '7'
            || !long.TryParse(globalId.AsSpan(start, 12), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var milliseconds))
        {
            return DateTimeOffset.UnixEpoch;
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }
}
