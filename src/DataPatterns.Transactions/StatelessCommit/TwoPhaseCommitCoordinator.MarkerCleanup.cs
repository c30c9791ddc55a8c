namespace DataPatterns.Transactions;

// The markers stateless recovery may delete. A committed branch's marker is the memory of the commit for as long as a
// peer branch may still be prepared: deleted earlier, that peer would find this participant empty, fence it and roll
// back, beside a commit. So it goes only once no peer is prepared (read after the marker list: a branch cannot
// become prepared again once committed) and every peer could be asked. A fence must outlive any session of the branch
// it stopped, so it goes only after FenceRetention.
public sealed partial class TwoPhaseCommitCoordinator
{
    private const int MarkerBatch = 1000;

    private async ValueTask<int> CollectMarkersAsync(RecoveryPass pass, CancellationToken cancellationToken)
    {
        if (pass.Unreachable.Count > 0)
        {
            return 0;
        }

        try
        {
            return await DeleteUnneededMarkersAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Housekeeping: a resource that stopped answering mid-way keeps its markers until a later pass, and the
            // pass itself (which settled what it could) is not failed for it.
            TransactionsLog.ResourceUnreachable(_logger, "(marker clean-up)", ex);
            return 0;
        }
    }

    private async ValueTask<int> DeleteUnneededMarkersAsync(CancellationToken cancellationToken)
    {

        var finishedAge = _options.RecoveryGracePeriod + _options.TransactionTimeout;
        var candidates = new List<(IStatelessResource Resource, IReadOnlyList<string> Committed, IReadOnlyList<string> Fences)>();
        foreach (var resource in _resources.Values.Cast<IStatelessResource>())
        {
            var committed = await resource.GetMarkersAsync(GlobalIdPrefix, fenced: false, finishedAge, MarkerBatch, cancellationToken).ConfigureAwait(false);
            var fences = await resource.GetMarkersAsync(GlobalIdPrefix, fenced: true, _options.FenceRetention, MarkerBatch, cancellationToken).ConfigureAwait(false);
            candidates.Add((resource, committed, fences));
        }

        if (!candidates.Exists(static c => c.Committed.Count + c.Fences.Count > 0))
        {
            return 0;
        }

        var prepared = await AllPreparedAsync(cancellationToken).ConfigureAwait(false);
        var deleted = 0;
        foreach (var (resource, committed, fences) in candidates)
        {
            var doomed = committed.Where(id => NoPeerMayNeed(id, prepared)).Concat(fences).ToList();
            if (doomed.Count > 0)
            {
                var count = await resource.DeleteMarkersAsync(doomed, cancellationToken).ConfigureAwait(false);
                deleted += count;
                TransactionsLog.MarkersDeleted(_logger, count, resource.Name);
            }
        }

        return deleted;
    }

    /// <summary>Every prepared stateless branch of the prefix on every resource, read now.</summary>
    private async ValueTask<HashSet<string>> AllPreparedAsync(CancellationToken cancellationToken)
    {
        var prepared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in _resources.Values)
        {
            foreach (var branch in await resource.GetInDoubtBranchesAsync(GlobalIdPrefix, cancellationToken).ConfigureAwait(false))
            {
                prepared.Add(branch.GlobalId);
            }
        }

        return prepared;
    }

    /// <summary>True when every participant of the marker's transaction is registered here and none holds a prepared branch.</summary>
    private bool NoPeerMayNeed(string globalId, HashSet<string> prepared)
    {
        if (!StatelessGlobalId.TryParse(globalId, _options.Prefix, out var transactionId, out _, out var names)
            || !names.All(_resources.ContainsKey))
        {
            return false;
        }

        return !StatelessGlobalId.Format(_options.Prefix, transactionId, names).Any(prepared.Contains);
    }
}
