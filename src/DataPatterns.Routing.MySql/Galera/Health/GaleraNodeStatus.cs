using System.Globalization;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// What a node says about its place in the Galera cluster: the wsrep status variables the router decides by, parsed
/// from the text the server returns (every status value arrives as text).
/// </summary>
internal readonly record struct GaleraNodeStatus(bool WsrepOn, bool Ready, int LocalState, string StateComment, string ClusterStatus, ulong LastCommitted)
{
    /// <summary><c>wsrep_local_state</c> 4: the node has applied everything and takes part in replication.</summary>
    public const int Synced = 4;

    /// <summary>True when the node may take reads and writes: wsrep ready, Synced, and in the Primary component.</summary>
    public bool IsServing => WsrepOn && Ready && LocalState == Synced && string.Equals(ClusterStatus, "Primary", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why the node takes no traffic, in words an operator can act on (null when it serves).</summary>
    public string? WhyNotServing()
    {
        if (!WsrepOn)
        {
            return "it is not a Galera cluster member (wsrep_on = OFF, no wsrep provider loaded); point the node's connection string at a Galera node, or route a primary/replica setup with UseMySql() instead of UseGalera()";
        }

        if (!string.Equals(ClusterStatus, "Primary", StringComparison.OrdinalIgnoreCase))
        {
            return $"it is not in the Primary component (wsrep_cluster_status = {ClusterStatus}): it lost quorum and refuses queries until it rejoins the majority";
        }

        if (!Ready)
        {
            return "wsrep_ready = OFF: the node does not accept queries yet";
        }

        return LocalState == Synced
            ? null
            : $"it is {StateComment} (wsrep_local_state = {LocalState.ToString(CultureInfo.InvariantCulture)}), not Synced: a joining node has not caught up and a donor or desynced node may lag, so it takes no traffic until it is Synced again";
    }

    /// <summary>Reads the status from name/value pairs as <c>SHOW GLOBAL STATUS</c> returns them.</summary>
    /// <exception cref="InvalidOperationException">A value the server returned is not what Galera documents.</exception>
    public static GaleraNodeStatus Parse(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var wsrepOn = values.TryGetValue("wsrep_on", out var on) && IsOn(on, "wsrep_on");
        if (!wsrepOn || !values.ContainsKey("wsrep_local_state"))
        {
            return new GaleraNodeStatus(false, false, 0, "not a Galera node", values.GetValueOrDefault("wsrep_cluster_status") ?? "Disconnected", 0);
        }

        return new GaleraNodeStatus(
            true,
            values.TryGetValue("wsrep_ready", out var ready) && IsOn(ready, "wsrep_ready"),
            ParseInt(values, "wsrep_local_state"),
            values.GetValueOrDefault("wsrep_local_state_comment") ?? "",
            values.GetValueOrDefault("wsrep_cluster_status") ?? "",
            ParseSeqno(values.GetValueOrDefault("wsrep_last_committed")));
    }

    private static bool IsOn(string value, string name) => value.Trim().ToUpperInvariant() switch
    {
        "ON" or "1" => true,
        "OFF" or "0" or "" => false,
        _ => throw new InvalidOperationException($"The server returned '{value}' for {name}; expected ON or OFF. Is this a MariaDB Galera node?"),
    };

    private static int ParseInt(IReadOnlyDictionary<string, string> values, string name) =>
        int.TryParse(values[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"The server returned '{values[name]}' for {name}; expected a whole number. Is this a MariaDB Galera node?");

    // -1 means "no seqno yet" (a node that never committed or is joining): nothing to wait for.
    private static ulong ParseSeqno(string? value) =>
        value is null || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seqno)
            ? throw new InvalidOperationException($"The server returned '{value ?? "nothing"}' for wsrep_last_committed; expected a sequence number.")
            : seqno < 0 ? 0 : (ulong)seqno;
}
