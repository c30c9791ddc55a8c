using System.Text.Json;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>
/// Reads one decision row; a row that does not make sense throws instead of being skipped or cut short, because a branch
/// dropped from a decision would be rolled back by recovery although its transaction committed.
/// </summary>
internal static class DecisionRow
{
    public static CommitDecision Read(MySqlDataReader reader, MySqlDecisionLog log)
    {
        var idBytes = reader.IsDBNull(0) ? [] : (byte[])reader.GetValue(0);
        if (idBytes.Length != 16)
        {
            throw log.Unreadable(null, $"its transaction_id has {idBytes.Length} bytes instead of 16 (0x{Convert.ToHexString(idBytes)})", null);
        }

        var id = new Guid(idBytes, bigEndian: true);
        DateTime decidedAt;
        string json;
        try
        {
            decidedAt = reader.GetDateTime(1);
            json = reader.GetString(2);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or System.Data.SqlTypes.SqlNullValueException or MySqlConversionException)
        {
            throw log.Unreadable(id, $"a value cannot be read ({ex.Message})", ex);
        }

        string[][]? pairs;
        try
        {
            pairs = JsonSerializer.Deserialize<string[][]>(json);
        }
        catch (JsonException ex)
        {
            throw log.Unreadable(id, $"its branches are not the JSON list of [resource, global id] pairs this library writes ({ex.Message})", ex);
        }

        if (pairs is null || pairs.Length == 0)
        {
            throw log.Unreadable(id, "it names no branches", null);
        }

        var branches = new CommitBranch[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            if (pairs[i] is not [{ Length: > 0 } resource, { Length: > 0 } globalId])
            {
                throw log.Unreadable(id, $"branch {i + 1} is not a [resource, global id] pair of non-empty strings", null);
            }

            branches[i] = new CommitBranch(resource, globalId);
        }

        return new CommitDecision(id, new DateTimeOffset(DateTime.SpecifyKind(decidedAt, DateTimeKind.Utc)), branches);
    }
}
