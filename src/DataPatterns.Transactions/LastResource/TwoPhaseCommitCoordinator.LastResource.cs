namespace DataPatterns.Transactions;

// Last-resource commit: one branch that is not prepared commits with the decision row in its own transaction; when
// its answer is lost, the decision log's fence settles whether it committed.
public sealed partial class TwoPhaseCommitCoordinator
{
    /// <summary>The branch whose local commit can carry the decision: last-resource commit on, and it shares the log's database.</summary>
    private EnlistedBranch? FindLastResource(List<EnlistedBranch> branches)
    {
        if (!_options.LastResourceCommit || _log is not IFencingDecisionLog log)
        {
            return null;
        }

        foreach (var branch in branches)
        {
            if (branch.Participant is ILastResourceParticipant participant && participant.CanRecordDecisionIn(log))
            {
                return branch;
            }
        }

        return null;
    }

    /// <summary>
    /// The decision as the last resource's own commit: its work and the decision row commit together, or neither does.
    /// It gets a full <see cref="TwoPhaseCommitOptions.TransactionTimeout"/> of its own, as a decision write would.
    /// </summary>
    private async ValueTask CommitLastResourceAsync(
        DistributedTransaction transaction,
        List<EnlistedBranch> branches,
        EnlistedBranch last,
        CommitDecision decision,
        CancellationToken cancellationToken)
    {
        var commit = Task.CompletedTask;
        Exception? failure = null;
        using (var timeout = new PhaseTimeout(_options.TransactionTimeout, _time, cancellationToken))
        {
            try
            {
                commit = ((ILastResourceParticipant)last.Participant).CommitWithDecisionAsync((IFencingDecisionLog)_log, decision, timeout.Token).AsTask();
                await commit.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }

        if (failure is not null)
        {
            try
            {
                // The abandoned command still owns the connection until the database driver has ended it; nothing else
                // may touch that connection (roll back, return it to the pool) before.
                await commit.WaitAsync(_options.TransactionTimeout, _time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Its outcome is what the fence finds out.
            }

            await SettleByFenceAsync(transaction, branches, last.ResourceName, [last.ResourceName], failure).ConfigureAwait(false);
        }

        // Committed: the last resource is done; only the prepared writers have a phase 2.
        await ReleaseQuietlyAsync(transaction, last).ConfigureAwait(false);
    }

    /// <summary>
    /// The write that carries the decision failed or lost its answer: an abort row settles whether it committed (it
    /// collides with a decision row that is committed or still being written, waiting for the latter). Returns when it
    /// committed; otherwise rolls everything back and throws the abort, or, when the log cannot be asked either,
    /// releases the branches for recovery and throws <see cref="TransactionInDoubtException"/>.
    /// </summary>
    private async ValueTask SettleByFenceAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, string carrier, string[] failed, Exception failure)
    {
        TransactionsLog.DecisionWriteUncertain(_logger, transaction.Id, carrier, failure);
        bool aborted;
        try
        {
            aborted = await ((IFencingDecisionLog)_log).TryRecordAbortAsync(transaction.Id, CancellationToken.None).AsTask()
                .WaitAsync(_options.TransactionTimeout, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception fenceFailure)
        {
            // Neither outcome can be told: the prepared branches stay for recovery, which fences in the same way.
            TransactionsLog.DecisionInDoubt(_logger, transaction.Id, carrier, fenceFailure);
            foreach (var branch in branches)
            {
                await ReleaseQuietlyAsync(transaction, branch).ConfigureAwait(false);
            }

            transaction.SetStatus(DistributedTransactionStatus.InDoubt);
            Finish(transaction);
            throw new TransactionInDoubtException(transaction.Id, carrier, failure);
        }

        if (aborted)
        {
            await RollbackBranchesAsync(branches).ConfigureAwait(false);
            throw Abort(transaction, failed, $"{(failed.Length > 0 ? $"'{carrier}'" : carrier)} did not commit the decision: {failure.Message}", failure);
        }
    }
}
