using DataPatterns.Resilience;

namespace DataPatterns.Transactions;

// Phase two: commit every prepared branch, in the background once the decision is durable, retrying with back-off
// until each acknowledges; then forget the decision.
public sealed partial class TwoPhaseCommitCoordinator
{
    /// <summary>
    /// Phase 2 when the caller does not wait for it: a failure nobody awaits is logged, and the transaction is let go so
    /// that recovery (which skips transactions in flight) commits whatever is still prepared, from the logged decision.
    /// </summary>
    private async Task<string[]> CompleteInBackgroundAsync(DistributedTransaction transaction, List<EnlistedBranch> writers)
    {
        try
        {
            return await CompletePhaseTwoAsync(transaction, writers).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            TransactionsLog.BackgroundPhaseTwoFailed(_logger, transaction.Id, ex);
            Finish(transaction);
            throw;
        }
    }

    /// <summary>
    /// Phase 2: every writer commits at once on its own connection; a writer that fails is retried in the background.
    /// Returns the global ids of branches found rolled back although the decision was commit (heuristic outcomes).
    /// </summary>
    private async Task<string[]> CompletePhaseTwoAsync(DistributedTransaction transaction, List<EnlistedBranch> writers)
    {
        var heuristic = await CommitAllPreparedAsync(transaction, writers).ConfigureAwait(false);
        if (writers.Exists(static branch => branch.PhaseTwoPending))
        {
            transaction.SetStatus(DistributedTransactionStatus.CommittedPendingPhaseTwo);
            await RetryLeftAsync(transaction, writers.FindAll(static branch => branch.PhaseTwoPending)).ConfigureAwait(false);
        }
        else
        {
            transaction.SetStatus(DistributedTransactionStatus.Committed);
            await TryForgetAsync(transaction.Id).ConfigureAwait(false);
            Finish(transaction);
        }

        return heuristic;
    }

    /// <summary>Sends COMMIT PREPARED to every writer at once; a writer that fails is marked pending (retried after).
    /// Returns the global ids of branches found rolled back although the decision was commit.</summary>
    private async Task<string[]> CommitAllPreparedAsync(DistributedTransaction transaction, List<EnlistedBranch> writers)
    {
        List<string>? heuristic = null;
        using (TransactionsMetrics.ActivitySource.StartActivity("2pc commit prepared"))
        {
            var committed = 0;
            var tasks = new Task[writers.Count];
            for (var i = 0; i < writers.Count; i++)
            {
                tasks[i] = CommitBranchAsync(writers[i]);
            }

            await Task.WhenAll(tasks).ConfigureAwait(false);

            async Task CommitBranchAsync(EnlistedBranch branch)
            {
                BranchCompletion completion;
                try
                {
                    completion = await branch.Participant.CommitPreparedAsync(branch.GlobalId, CancellationToken.None).AsTask()
                        .WaitAsync(transaction.Timeout, _time, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    branch.PhaseTwoPending = true;
                    TransactionsLog.PhaseTwoDeferred(_logger, transaction.Id, branch.ResourceName, branch.GlobalId, ex);
                    return;
                }

                if (completion == BranchCompletion.NotFound && await WasRolledBackAsync(branch).ConfigureAwait(false))
                {
                    // Nobody else resolves this node's branches while the transaction is in flight: someone rolled it back.
                    lock (writers)
                    {
                        (heuristic ??= []).Add(branch.GlobalId);
                    }

                    _telemetry.HeuristicOutcomes.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.resource", branch.ResourceName));
                    TransactionsLog.Heuristic(_logger, transaction.Id, branch.GlobalId, branch.ResourceName);
                }

                try
                {
                    await branch.ReleaseAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The branch is committed; only its connection's clean-up failed. Phase 2 must go on for the others.
                    TransactionsLog.ReleaseFailed(_logger, transaction.Id, branch.ResourceName, branch.GlobalId, ex);
                }

                if (Interlocked.Increment(ref committed) == 1)
                {
                    await ObserveAsync(TransactionProtocolStep.FirstCommitted, transaction).ConfigureAwait(false);
                }
            }
        }

        return heuristic is null ? [] : [.. heuristic];
    }

    /// <summary>The writers phase two could not reach yet: retried in the background until each is committed.</summary>
    private async Task RetryLeftAsync(DistributedTransaction transaction, List<EnlistedBranch> left)
    {
        var retry = RetryPhaseTwoAsync(transaction, left);
        if (_options.WaitForPhaseTwo)
        {
            // The caller returns now (committed, pending); the retries go on without it.
            transaction.PhaseTwo = retry.ContinueWith(static _ => Array.Empty<string>(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            Track(transaction.Id, retry);
        }
        else
        {
            // Already in the background: this task, which the caller can wait on, ends when the retries do.
            await retry.ConfigureAwait(false);
        }
    }

    private async Task RetryPhaseTwoAsync(DistributedTransaction transaction, List<EnlistedBranch> pending)
    {
        var attempt = 0;
        try
        {
            while (pending.Count > 0)
            {
                var delay = ExponentialBackoff.Delay(++attempt, _options.RetryDelay, _options.MaxRetryDelay);
                await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
                foreach (var branch in pending.ToArray())
                {
                    try
                    {
                        var completion = _resources.TryGetValue(branch.ResourceName, out var resource)
                            ? await resource.CommitPreparedAsync(branch.GlobalId, _stopping.Token).ConfigureAwait(false)
                            : await branch.Participant.CommitPreparedAsync(branch.GlobalId, _stopping.Token).ConfigureAwait(false);
                        pending.Remove(branch);
                        branch.PhaseTwoPending = false;
                        await branch.ReleaseAsync().ConfigureAwait(false);
                        _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.action", "commit"));
                        TransactionsLog.Recovered(_logger, completion == BranchCompletion.Completed ? "committed" : "found already committed", branch.GlobalId, branch.ResourceName);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                    {
                        TransactionsLog.PhaseTwoDeferred(_logger, transaction.Id, branch.ResourceName, branch.GlobalId, ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The coordinator stops; the decision stays in the log and recovery completes the branches after the restart.
            return;
        }

        transaction.SetStatus(DistributedTransactionStatus.Committed);
        await TryForgetAsync(transaction.Id).ConfigureAwait(false);
        TransactionsLog.PhaseTwoCompleted(_logger, transaction.Id);
        Finish(transaction);
    }

    private async ValueTask TryForgetAsync(Guid transactionId)
    {
        try
        {
            await _log.ForgetAsync(transactionId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Forgetting is housekeeping: a record left behind is forgotten by the next recovery pass.
            TransactionsLog.RecoveryPassFailed(_logger, _options.RecoveryInterval, ex);
        }
    }
}
