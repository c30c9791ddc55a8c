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
    /// makes sure the claims are still held.
    /// </summary>
    /// <exception cref="CoordinatorNodeInUseException">Another coordinator took this node id's claim while it was lost.</exception>
    public async ValueTask<RecoveryResult> RecoverAsync(CancellationToken cancellationToken)
    {
        using var activity = TransactionsMetrics.ActivitySource.StartActivity("2pc recover");
        await RenewNodeClaimsAsync(cancellationToken).ConfigureAwait(false);
        var decisions = new Dictionary<Guid, CommitDecision>();
        foreach (var decision in await _log.ReadCommittedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (decision.Branches.Any(b => b.GlobalId.StartsWith(GlobalIdPrefix, StringComparison.Ordinal)))
            {
                decisions[decision.TransactionId] = decision;
            }
        }

        var now = _time.GetUtcNow();
        int committed = 0, rolledBack = 0, waiting = 0;
        long inDoubt = 0;
        var oldest = TimeSpan.Zero;
        var unreachable = new List<string>();
        var unfinished = new HashSet<Guid>();
        foreach (var resource in _resources.Values)
        {
            IReadOnlyList<InDoubtBranch> branches;
            try
            {
                branches = await resource.GetInDoubtBranchesAsync(GlobalIdPrefix, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                unreachable.Add(resource.Name);
                TransactionsLog.ResourceUnreachable(_logger, resource.Name, ex);
                continue;
            }

            foreach (var branch in branches)
            {
                if (!GlobalTransactionId.TryParse(branch.GlobalId, GlobalIdPrefix, out var transactionId, out _))
                {
                    continue;
                }

                var age = now - branch.PreparedAt;
                if (_inFlight.ContainsKey(transactionId))
                {
                    // This process is still running it (preparing, or retrying phase 2).
                    waiting++;
                    unfinished.Add(transactionId);
                    continue;
                }

                inDoubt++;
                oldest = age > oldest ? age : oldest;
                try
                {
                    if (decisions.ContainsKey(transactionId))
                    {
                        await resource.CommitPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false);
                        committed++;
                        inDoubt--;
                        _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.action", "commit"));
                        TransactionsLog.Recovered(_logger, "committed", branch.GlobalId, resource.Name);
                    }
                    else if (age >= _options.RecoveryGracePeriod && !await FenceAsync(transactionId, cancellationToken).ConfigureAwait(false))
                    {
                        // A last-resource commit landed after the decisions were read: the fence found its row.
                        await resource.CommitPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false);
                        committed++;
                        inDoubt--;
                        unfinished.Add(transactionId); // its decision row is forgotten by the next pass
                        _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.action", "commit"));
                        TransactionsLog.Recovered(_logger, "committed", branch.GlobalId, resource.Name);
                    }
                    else if (age >= _options.RecoveryGracePeriod)
                    {
                        await resource.RollbackPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false);
                        rolledBack++;
                        inDoubt--;
                        _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.action", "rollback"));
                        TransactionsLog.Recovered(_logger, "rolled back", branch.GlobalId, resource.Name);
                    }
                    else
                    {
                        waiting++;
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    waiting++;
                    unfinished.Add(transactionId);
                    TransactionsLog.ResourceUnreachable(_logger, resource.Name, ex);
                }
            }
        }

        var forgotten = 0;
        foreach (var decision in decisions.Values)
        {
            if (_inFlight.ContainsKey(decision.TransactionId)
                || unfinished.Contains(decision.TransactionId)
                || decision.Branches.Any(b => unreachable.Contains(b.ResourceName) || !_resources.ContainsKey(b.ResourceName)))
            {
                continue;
            }

            await _log.ForgetAsync(decision.TransactionId, cancellationToken).ConfigureAwait(false);
            forgotten++;
            _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.action", "forget"));
        }

        if (_log is IFencingDecisionLog fencing)
        {
            // Abort rows only matter while a commit could still be on its way; the grace period bounds that, twice over.
            await fencing.PurgeAbortsAsync((2 * _options.RecoveryGracePeriod) + _options.TransactionTimeout, cancellationToken).ConfigureAwait(false);
        }

        _telemetry.ReportInDoubt(inDoubt, oldest);
        RecoveryState.PassFinished(_time.GetUtcNow(), inDoubt, oldest, unreachable);
        if (committed + rolledBack + forgotten > 0 || waiting > 0)
        {
            TransactionsLog.RecoveryPass(_logger, committed, rolledBack, waiting, forgotten);
        }

        activity?.SetTag("datapatterns.recovery.committed", committed);
        activity?.SetTag("datapatterns.recovery.rolled_back", rolledBack);
        return new RecoveryResult(committed, rolledBack, waiting, forgotten, unreachable);
    }

    /// <summary>
    /// Before presuming an abort, a fencing log records it, so that a last-resource commit still on its way cannot land
    /// afterwards. Returns true when the transaction is aborted (always, with a log that cannot fence).
    /// </summary>
    private async ValueTask<bool> FenceAsync(Guid transactionId, CancellationToken cancellationToken) =>
        _log is not IFencingDecisionLog fencing || await fencing.TryRecordAbortAsync(transactionId, cancellationToken).ConfigureAwait(false);
}
