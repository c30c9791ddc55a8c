namespace DataPatterns.Transactions;

public sealed partial class TwoPhaseCommitCoordinator
{
    /// <summary>
    /// One recovery pass: asks every resource for prepared branches of this coordinator's prefix and node and resolves
    /// each against the decision log: a commit record → COMMIT PREPARED; no record and older than
    /// <see cref="TwoPhaseCommitOptions.RecoveryGracePeriod"/> → ROLLBACK PREPARED (presumed abort), after recording the
    /// abort first when the log can fence (<see cref="IFencingDecisionLog"/>), so that a last-resource commit still on its
    /// way cannot land afterwards. Transactions still in flight in this process are left alone. Decision records whose
    /// branches are all finished are forgotten. When the node id was claimed (<see cref="ClaimNodeAsync"/>), the pass first
    /// makes sure the claims are still held. With <see cref="TwoPhaseCommitOptions.StatelessCommit"/> the pass takes every
    /// transaction of the prefix, from whichever instance, and settles it from its participants alone (every branch
    /// prepared or one committed: commit; one fenced: roll back; one with neither branch nor marker: fence it), then
    /// deletes markers no longer needed.
    /// </summary>
    /// <exception cref="CoordinatorNodeInUseException">Another coordinator took this node id's claim while it was lost.</exception>
    public async ValueTask<RecoveryResult> RecoverAsync(CancellationToken cancellationToken)
    {
        using var activity = TransactionsMetrics.ActivitySource.StartActivity("2pc recover");
        var result = _options.StatelessCommit
            ? await RecoverStatelessAsync(cancellationToken).ConfigureAwait(false)
            : await RecoverFromLogAsync(cancellationToken).ConfigureAwait(false);
        activity?.SetTag("datapatterns.recovery.committed", result.Committed);
        activity?.SetTag("datapatterns.recovery.rolled_back", result.RolledBack);
        return result;
    }

    private async ValueTask<RecoveryResult> RecoverFromLogAsync(CancellationToken cancellationToken)
    {
        await RenewNodeClaimsAsync(cancellationToken).ConfigureAwait(false);
        var (pass, forgotten) = await RecoverNodeAsync(GlobalIdPrefix, cancellationToken).ConfigureAwait(false);
        if (_options.TakeOverDeadNodes)
        {
            await TakeOverDeadNodesAsync(pass, cancellationToken).ConfigureAwait(false);
        }

        if (_log is IFencingDecisionLog fencing)
        {
            // Abort rows only matter while a commit could still be on its way; the grace period bounds that, twice over.
            await fencing.PurgeAbortsAsync((2 * _options.RecoveryGracePeriod) + _options.TransactionTimeout, cancellationToken).ConfigureAwait(false);
        }

        return FinishPass(pass, forgotten);
    }

    /// <summary>Resolves the prepared branches of one node (<c>prefix:node:</c>) from the log: this one's, or a gone node's on takeover.</summary>
    private async ValueTask<(RecoveryPass Pass, int Forgotten)> RecoverNodeAsync(string nodePrefix, CancellationToken cancellationToken)
    {
        var pass = new RecoveryPass(await ReadDecisionsOfAsync(nodePrefix, cancellationToken).ConfigureAwait(false), _time.GetUtcNow());
        foreach (var resource in _resources.Values)
        {
            await ResolveBranchesOfAsync(resource, nodePrefix, pass, cancellationToken).ConfigureAwait(false);
        }

        return (pass, await ForgetFinishedAsync(pass, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Reports a finished pass (metrics, health, one log line when it did or left anything).</summary>
    private RecoveryResult FinishPass(RecoveryPass pass, int forgotten)
    {
        _telemetry.ReportInDoubt(pass.InDoubt, pass.Oldest);
        RecoveryState.PassFinished(_time.GetUtcNow(), pass.InDoubt, pass.Oldest, pass.Unreachable);
        if (pass.Committed + pass.RolledBack + forgotten > 0 || pass.Waiting > 0)
        {
            TransactionsLog.RecoveryPass(_logger, pass.Committed, pass.RolledBack, pass.Waiting, forgotten);
        }

        return new RecoveryResult(pass.Committed, pass.RolledBack, pass.Waiting, forgotten, pass.Unreachable);
    }

    /// <summary>The commit decisions of one node (its global-id prefix), by transaction.</summary>
    private async ValueTask<Dictionary<Guid, CommitDecision>> ReadDecisionsOfAsync(string nodePrefix, CancellationToken cancellationToken)
    {
        var decisions = new Dictionary<Guid, CommitDecision>();
        foreach (var decision in await _log.ReadCommittedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (decision.Branches.Any(b => b.GlobalId.StartsWith(nodePrefix, StringComparison.Ordinal)))
            {
                decisions[decision.TransactionId] = decision;
            }
        }

        return decisions;
    }

    /// <summary>Resolves every prepared branch of one node on one resource; an unreachable resource is noted and skipped.</summary>
    private async ValueTask ResolveBranchesOfAsync(ITransactionResource resource, string nodePrefix, RecoveryPass pass, CancellationToken cancellationToken)
    {
        IReadOnlyList<InDoubtBranch> branches;
        try
        {
            branches = await resource.GetInDoubtBranchesAsync(nodePrefix, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            pass.Unreachable.Add(resource.Name);
            TransactionsLog.ResourceUnreachable(_logger, resource.Name, ex);
            return;
        }

        foreach (var branch in branches)
        {
            if (!GlobalTransactionId.TryParse(branch.GlobalId, nodePrefix, out var transactionId, out _))
            {
                continue;
            }

            if (_inFlight.ContainsKey(transactionId))
            {
                // This process is still running it (preparing, or retrying phase 2).
                pass.Waiting++;
                pass.Unfinished.Add(transactionId);
                continue;
            }

            try
            {
                await ResolveBranchAsync(resource, branch, transactionId, pass, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                pass.Waiting++;
                pass.Unfinished.Add(transactionId);
                TransactionsLog.ResourceUnreachable(_logger, resource.Name, ex);
            }
        }
    }

    /// <summary>
    /// One prepared branch that no transaction of this process owns: a commit record → COMMIT PREPARED; none, and past
    /// the grace period → ROLLBACK PREPARED once the abort is fenced; younger → left for a later pass. It counts as in
    /// doubt until resolved, so a branch whose command fails stays in doubt.
    /// </summary>
    private async ValueTask ResolveBranchAsync(ITransactionResource resource, InDoubtBranch branch, Guid transactionId, RecoveryPass pass, CancellationToken cancellationToken)
    {
        var age = pass.Now - branch.PreparedAt;
        pass.InDoubt++;
        pass.Oldest = age > pass.Oldest ? age : pass.Oldest;
        if (pass.Decisions.ContainsKey(transactionId))
        {
            await resource.CommitPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false);
            pass.Committed++;
            pass.InDoubt--;
            CountRecovered("commit", "committed", branch, resource);
        }
        else if (age >= _options.RecoveryGracePeriod && !await FenceAsync(transactionId, cancellationToken).ConfigureAwait(false))
        {
            // A last-resource commit landed after the decisions were read: the fence found its row.
            await resource.CommitPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false);
            pass.Committed++;
            pass.InDoubt--;
            pass.Unfinished.Add(transactionId); // its decision row is forgotten by the next pass
            CountRecovered("commit", "committed", branch, resource);
        }
        else if (age >= _options.RecoveryGracePeriod)
        {
            await resource.RollbackPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false);
            pass.RolledBack++;
            pass.InDoubt--;
            CountRecovered("rollback", "rolled back", branch, resource);
        }
        else
        {
            pass.Waiting++;
        }
    }

    private void CountRecovered(string action, string done, InDoubtBranch branch, ITransactionResource resource)
    {
        _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.action", action));
        TransactionsLog.Recovered(_logger, done, branch.GlobalId, resource.Name);
    }

    /// <summary>
    /// Forgets the decision records whose branches are all finished: none still in flight or unfinished in this pass,
    /// and every resource of the record reachable and still configured (a record is the only memory of a commit).
    /// </summary>
    private async ValueTask<int> ForgetFinishedAsync(RecoveryPass pass, CancellationToken cancellationToken)
    {
        var forgotten = 0;
        foreach (var decision in pass.Decisions.Values)
        {
            if (_inFlight.ContainsKey(decision.TransactionId)
                || pass.Unfinished.Contains(decision.TransactionId)
                || decision.Branches.Any(b => pass.Unreachable.Contains(b.ResourceName) || !_resources.ContainsKey(b.ResourceName)))
            {
                continue;
            }

            await _log.ForgetAsync(decision.TransactionId, cancellationToken).ConfigureAwait(false);
            forgotten++;
            _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.action", "forget"));
        }

        return forgotten;
    }

    /// <summary>
    /// Before presuming an abort, a fencing log records it, so that a last-resource commit still on its way cannot land
    /// afterwards. Returns true when the transaction is aborted (always, with a log that cannot fence).
    /// </summary>
    private async ValueTask<bool> FenceAsync(Guid transactionId, CancellationToken cancellationToken) =>
        _log is not IFencingDecisionLog fencing || await fencing.TryRecordAbortAsync(transactionId, cancellationToken).ConfigureAwait(false);
}
