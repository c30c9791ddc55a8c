using System.Runtime.CompilerServices;

namespace DataPatterns.Routing;

// Eligibility: which node an intent goes to (the policy over healthy nodes within the lag bound, panic mode, the
// fallbacks), and counting where each connection went and why.
public sealed partial class ReadWriteRouter
{
    /// <summary>
    /// The routing decision: allocation-free and lock-free. Returns the node for the intent, or throws when nothing can serve it.
    /// <paramref name="fallbackReason"/> is set when a read goes to the primary.
    /// </summary>
    internal RoutingNode Route(RoutingIntent intent, ConsistencyToken token, out string? fallbackReason)
    {
        fallbackReason = null;
        if (intent == RoutingIntent.Write)
        {
            return SelectPrimary() ?? throw NoPrimary(null);
        }

        if (System.Transactions.Transaction.Current is not null)
        {
            fallbackReason = FallbackReasons.Transaction;
            return SelectPrimary() ?? throw NoPrimary(null);
        }

        if (SelectReplica(token) is { } replica)
        {
            return replica;
        }

        fallbackReason = FallbackReasonFor(token);
        if (fallbackReason == FallbackReasons.NoReplica && _whenNoReplica == NoReplicaBehavior.Fail)
        {
            throw NoReplica();
        }

        return SelectPrimary() ?? throw NoPrimary(null);
    }

    internal RoutingNode? SelectPrimary() => Select(NodeRole.Primary, ConsistencyToken.None, tried: null);

    /// <summary>Picks a replica in rotation that has replayed <paramref name="token"/>, skipping the nodes marked in <paramref name="tried"/>.</summary>
    internal RoutingNode? SelectReplica(ConsistencyToken token, bool[]? tried = null) => Select(NodeRole.Replica, token, tried);

    /// <summary>The role's policy over its eligible nodes (<see cref="IsEligible"/>), skipping those marked in <paramref name="tried"/>.</summary>
    private RoutingNode? Select(NodeRole role, ConsistencyToken token, bool[]? tried)
    {
        var nodes = _nodes;
        var panic = role == NodeRole.Primary ? PrimaryPanic : ReplicaPanic;
        Span<int> candidates = nodes.Length <= MaxStackCandidates ? stackalloc int[nodes.Length] : new int[nodes.Length];
        var count = 0;
        for (var i = 0; i < nodes.Length; i++)
        {
            if ((tried is null || !tried[i]) && IsEligible(nodes[i], role, panic, token))
            {
                candidates[count++] = i;
            }
        }

        return count switch
        {
            0 => null,
            1 => nodes[candidates[0]],
            _ => nodes[(role == NodeRole.Primary ? _primarySelector : _replicaSelector).Pick(candidates[..count], nodes)],
        };
    }

    /// <summary>
    /// The one eligibility rule: a node of the role, in rotation (<see cref="IsInRotation"/>), not demoted and, for a
    /// replica, within the lag bound and past <paramref name="token"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsEligible(RoutingNode node, NodeRole role, bool panic, ConsistencyToken token) =>
        node.Role == role && IsInRotation(node, panic) && !node.IsDemoted
        && (role == NodeRole.Primary || (node.Lag.Ticks <= _maxLagTicks && node.Position >= token));

    /// <summary>Healthy, or ejected only for timeouts while the role is in panic mode (too few healthy nodes to refuse them).</summary>
    private static bool IsInRotation(RoutingNode node, bool panic) => node.IsHealthy || (panic && node.EjectedForTimeout);

    /// <summary>
    /// Where the synchronous open goes after <paramref name="failed"/> failed to open: a read tries the replicas not yet
    /// <paramref name="tried"/>, then the primary (or fails, with WhenNoReplica = Fail); any other open routes again unless
    /// the failed node is still selectable (kept under the ejection cap, or panic mode), since choosing it would only wait again.
    /// </summary>
    private RoutingNode? RouteAfterFailure(RoutingNode failed, bool[] tried, RoutingIntent intent, ConsistencyToken token, out string? reason)
    {
        if (failed.Role == NodeRole.Replica && intent != RoutingIntent.Write)
        {
            if (SelectReplica(token, tried) is { } other)
            {
                reason = null;
                return other;
            }

            reason = FallbackReasonFor(token, tried);
            return reason == FallbackReasons.NoReplica && _whenNoReplica == NoReplicaBehavior.Fail ? throw NoReplica() : SelectPrimary();
        }

        if (IsInRotation(failed, failed.Role == NodeRole.Primary ? PrimaryPanic : ReplicaPanic))
        {
            reason = FallbackReasons.NoReplica;
            return null;
        }

        return Route(intent, token, out reason);
    }

    private string FallbackReasonFor(ConsistencyToken token, bool[]? tried = null) =>
        !token.IsNone && SelectReplica(ConsistencyToken.None, tried) is not null ? FallbackReasons.ReadYourWrites : FallbackReasons.NoReplica;

    internal void Count(RoutingNode node, RoutingIntent countAs, string? fallbackReason)
    {
        var nodeTag = new KeyValuePair<string, object?>(RoutingMetrics.NodeTag, node.Name);
        if (countAs == RoutingIntent.Write)
        {
            _metrics.Writes.Add(1, _routerTag, nodeTag);
            return;
        }

        _metrics.Reads.Add(1, _routerTag, nodeTag);
        if (fallbackReason is not null)
        {
            _metrics.Fallbacks.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingMetrics.ReasonTag, fallbackReason));
        }
    }
}
