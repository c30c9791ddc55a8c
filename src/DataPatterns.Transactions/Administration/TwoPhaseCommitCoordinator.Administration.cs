using System.Diagnostics.CodeAnalysis;

namespace DataPatterns.Transactions;

// What TransactionAdmin needs of the coordinator's internals, and the takeover of a gone node.
public sealed partial class TwoPhaseCommitCoordinator
{
    /// <summary>Whether other nodes' decisions are in this coordinator's log too (the PostgreSQL log is one table for all).</summary>
    internal bool DecisionLogIsShared => _log is ICoordinatorNodeClaim;

    internal bool IsInFlight(Guid transactionId) => _inFlight.ContainsKey(transactionId);

    internal bool TryGetResource(string name, [NotNullWhen(true)] out ITransactionResource? resource) => _resources.TryGetValue(name, out resource);

    internal async ValueTask<Dictionary<Guid, CommitDecision>> ReadAllDecisionsAsync(CancellationToken cancellationToken)
    {
        var decisions = new Dictionary<Guid, CommitDecision>();
        foreach (var decision in await _log.ReadCommittedAsync(cancellationToken).ConfigureAwait(false))
        {
            decisions[decision.TransactionId] = decision;
        }

        return decisions;
    }

    /// <summary>True when the transaction is aborted for good (an abort recorded, or a log that cannot fence).</summary>
    internal ValueTask<bool> FenceForAdminAsync(Guid transactionId, CancellationToken cancellationToken) => FenceAsync(transactionId, cancellationToken);

    /// <summary>
    /// Claims <paramref name="nodeId"/> (refused while its coordinator lives), recovers its branches from the shared log,
    /// and releases the claim. The pass is not this node's, so it is not reported as this node's recovery state.
    /// </summary>
    internal async ValueTask<RecoveryResult> TakeOverNodeAsync(string nodeId, CancellationToken cancellationToken)
    {
        var claims = new List<IHeldNodeClaim>();
        try
        {
            var owner = new NodeClaimOwner();
            foreach (var claimant in ClaimantsByScope())
            {
                claims.Add(await claimant.ClaimNodeAsync(_options.Prefix, nodeId, owner, cancellationToken).ConfigureAwait(false));
            }

            var (pass, forgotten) = await RecoverNodeAsync(GlobalTransactionId.CoordinatorPrefix(_options.Prefix, nodeId), cancellationToken).ConfigureAwait(false);
            TransactionsLog.TookOver(_logger, nodeId, pass.Committed, pass.RolledBack, pass.Waiting);
            return new RecoveryResult(pass.Committed, pass.RolledBack, pass.Waiting, forgotten, pass.Unreachable);
        }
        finally
        {
            foreach (var claim in claims)
            {
                await claim.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Takes over every other node of the prefix that has a prepared branch past the grace period and no live
    /// coordinator (its claim is free); a node whose claim is held is alive and left alone.
    /// </summary>
    private async ValueTask TakeOverDeadNodesAsync(RecoveryPass pass, CancellationToken cancellationToken)
    {
        foreach (var node in await NodesWithOldBranchesAsync(pass, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await TakeOverNodeAsync(node, cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinatorNodeInUseException)
            {
                // Alive: it recovers its own.
            }
        }
    }

    private async ValueTask<SortedSet<string>> NodesWithOldBranchesAsync(RecoveryPass pass, CancellationToken cancellationToken)
    {
        var nodes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var resource in _resources.Values)
        {
            if (pass.Unreachable.Contains(resource.Name))
            {
                continue;
            }

            foreach (var branch in await resource.GetInDoubtBranchesAsync(_options.Prefix + ":", cancellationToken).ConfigureAwait(false))
            {
                if (AnyGlobalId.TryRead(branch.GlobalId, _options.Prefix, out _, out var node, out var named)
                    && named is null
                    && node != _options.NodeId
                    && pass.Now - branch.PreparedAt >= _options.RecoveryGracePeriod)
                {
                    nodes.Add(node);
                }
            }
        }

        return nodes;
    }
}
