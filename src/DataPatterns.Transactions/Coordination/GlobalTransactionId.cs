using System.Globalization;
using System.Text;

namespace DataPatterns.Transactions;

/// <summary>
/// Global ids of the form <c>prefix:node:txid:branch</c>: the prefix names the application, the node names the coordinator
/// instance (so two instances never resolve each other's branches), the txid is a version-7 GUID and the branch a number.
/// </summary>
public static class GlobalTransactionId
{
    /// <summary>PostgreSQL's limit on a prepared transaction's identifier, in bytes (the id must be shorter).</summary>
    public const int MaxLength = 200;

    /// <summary>The longest prefix or node name accepted.</summary>
    public const int MaxPartLength = 64;

    /// <summary>The most participants one transaction may enlist.</summary>
    public const int MaxBranches = 1000;

    /// <summary>True when <paramref name="part"/> is a valid prefix or node name: 1 to 64 of <c>A-Z a-z 0-9 _ - .</c>.</summary>
    public static bool IsValidPart(string? part) =>
        !string.IsNullOrEmpty(part) && part.Length <= MaxPartLength && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>The part every global id of one coordinator starts with: <c>prefix:node:</c>.</summary>
    public static string CoordinatorPrefix(string prefix, string node)
    {
        if (!IsValidPart(prefix))
        {
            throw new ArgumentException($"The global-id prefix '{prefix}' is invalid: use 1 to {MaxPartLength} of A-Z a-z 0-9 _ - . (no ':' or quotes).", nameof(prefix));
        }

        if (!IsValidPart(node))
        {
            throw new ArgumentException($"The node id '{node}' is invalid: use 1 to {MaxPartLength} of A-Z a-z 0-9 _ - . (no ':' or quotes).", nameof(node));
        }

        return string.Concat(prefix, ":", node, ":");
    }

    /// <summary>Formats the global id of branch <paramref name="branch"/> of transaction <paramref name="transactionId"/>.</summary>
    /// <exception cref="ArgumentException">The id would reach <see cref="MaxLength"/> bytes.</exception>
    public static string Format(string coordinatorPrefix, Guid transactionId, int branch)
    {
        ArgumentNullException.ThrowIfNull(coordinatorPrefix);
        ArgumentOutOfRangeException.ThrowIfNegative(branch);
        var id = string.Create(CultureInfo.InvariantCulture, $"{coordinatorPrefix}{transactionId:N}:{branch}");
        if (Encoding.UTF8.GetByteCount(id) >= MaxLength)
        {
            throw new ArgumentException($"The global id '{id}' is {Encoding.UTF8.GetByteCount(id)} bytes; PostgreSQL accepts fewer than {MaxLength}. Use a shorter prefix or node id.", nameof(coordinatorPrefix));
        }

        return id;
    }

    /// <summary>Reads the transaction id out of a global id that starts with <paramref name="coordinatorPrefix"/>.</summary>
    public static bool TryParse(string globalId, string coordinatorPrefix, out Guid transactionId, out int branch)
    {
        ArgumentNullException.ThrowIfNull(globalId);
        ArgumentNullException.ThrowIfNull(coordinatorPrefix);
        transactionId = default;
        branch = -1;
        if (!globalId.StartsWith(coordinatorPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = globalId.AsSpan(coordinatorPrefix.Length);
        var colon = rest.IndexOf(':');
        return colon == 32
            && Guid.TryParseExact(rest[..colon], "N", out transactionId)
            && int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out branch);
    }
}
