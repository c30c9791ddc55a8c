namespace DataPatterns.Transactions;

/// <summary>Reads a global id of any node of a prefix: <c>prefix:node:txid:branch</c>, or a stateless one (node <c>~</c>).</summary>
internal static class AnyGlobalId
{
    public const string StatelessNode = "~";

    public static bool TryRead(string globalId, string prefix, out Guid transactionId, out string node, out IReadOnlyList<string>? named)
    {
        named = null;
        node = string.Empty;
        transactionId = default;
        if (StatelessGlobalId.TryParse(globalId, prefix, out transactionId, out _, out var resources))
        {
            node = StatelessNode;
            named = resources;
            return true;
        }

        var parts = globalId.Split(':');
        if (parts.Length != 4 || parts[0] != prefix || !GlobalTransactionId.IsValidPart(parts[1]))
        {
            return false;
        }

        node = parts[1];
        return GlobalTransactionId.TryParse(globalId, GlobalTransactionId.CoordinatorPrefix(prefix, node), out transactionId, out _);
    }
}
