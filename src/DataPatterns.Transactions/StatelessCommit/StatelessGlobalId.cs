using System.Globalization;
using System.Text;

namespace DataPatterns.Transactions;

/// <summary>
/// Global ids of stateless two-phase commit: <c>prefix:~:txid:branch:resource0:resource1:…</c>. The id names every
/// participant, so whoever finds one branch knows the others (branch <c>i</c> is on resource <c>i</c>) without a log;
/// <c>~</c> in the node's place keeps them apart from the log-based modes' ids, whose node ids cannot contain it.
/// </summary>
public static class StatelessGlobalId
{
    private const string Marker = "~";

    /// <summary>The ids of every branch of transaction <paramref name="transactionId"/>, one per resource, in order.</summary>
    /// <exception cref="ArgumentException">A name is invalid, a resource is listed twice, or an id would reach <see cref="GlobalTransactionId.MaxLength"/> bytes.</exception>
    public static IReadOnlyList<string> Format(string prefix, Guid transactionId, IReadOnlyList<string> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var head = PrefixOf(prefix);
        if (resources.Count == 0 || resources.Count > GlobalTransactionId.MaxBranches)
        {
            throw new ArgumentException($"A stateless transaction needs 1 to {GlobalTransactionId.MaxBranches} resources; it has {resources.Count}.", nameof(resources));
        }

        foreach (var resource in resources)
        {
            if (!GlobalTransactionId.IsValidPart(resource))
            {
                throw new ArgumentException($"Resource name '{resource}' cannot go into a global id: use 1 to {GlobalTransactionId.MaxPartLength} of A-Z a-z 0-9 _ - .", nameof(resources));
            }
        }

        if (resources.Distinct(StringComparer.Ordinal).Count() != resources.Count)
        {
            throw new ArgumentException("A resource is listed twice; enlist each resource once per transaction.", nameof(resources));
        }

        var names = string.Join(':', resources);
        var ids = new string[resources.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"{head}{transactionId:N}:{i}:{names}");
            if (Encoding.UTF8.GetByteCount(ids[i]) >= GlobalTransactionId.MaxLength)
            {
                throw new ArgumentException($"The global id '{ids[i]}' is {Encoding.UTF8.GetByteCount(ids[i])} bytes; PostgreSQL accepts fewer than {GlobalTransactionId.MaxLength}. Shorten the prefix or the resource names.", nameof(resources));
            }
        }

        return ids;
    }

    /// <summary>
    /// The commit path's <see cref="Format"/>: the coordinator checked the names when the resources were registered and
    /// enlisted (valid, one branch each), so only the length is left to check. Null when an id would be too long.
    /// </summary>
    internal static string[]? FormatChecked(string head, Guid transactionId, string[] resources)
    {
        var names = string.Join(':', resources);
        var ids = new string[resources.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            // Every part is ASCII, so characters are bytes.
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"{head}{transactionId:N}:{i}:{names}");
            if (ids[i].Length >= GlobalTransactionId.MaxLength)
            {
                return null;
            }
        }

        return ids;
    }

    /// <summary>The part every stateless id of <paramref name="prefix"/> starts with.</summary>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is not 1 to 64 of <c>A-Z a-z 0-9 _ - .</c>.</exception>
    public static string PrefixOf(string prefix) => GlobalTransactionId.IsValidPart(prefix)
        ? string.Concat(prefix, ":", Marker, ":")
        : throw new ArgumentException($"The global-id prefix '{prefix}' is invalid: use 1 to {GlobalTransactionId.MaxPartLength} of A-Z a-z 0-9 _ - . (no ':' or quotes).", nameof(prefix));

    /// <summary>Reads a stateless global id of <paramref name="prefix"/>: the transaction, this branch's index, and every resource in order.</summary>
    public static bool TryParse(string globalId, string prefix, out Guid transactionId, out int branch, out IReadOnlyList<string> resources)
    {
        ArgumentNullException.ThrowIfNull(globalId);
        transactionId = default;
        branch = -1;
        resources = [];
        var head = PrefixOf(prefix);
        if (!globalId.StartsWith(head, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = globalId[head.Length..].Split(':');
        if (parts.Length < 3
            || !Guid.TryParseExact(parts[0], "N", out transactionId)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out branch)
            || branch >= parts.Length - 2
            || !parts.Skip(2).All(GlobalTransactionId.IsValidPart))
        {
            branch = -1;
            return false;
        }

        resources = parts[2..];
        return true;
    }
}
