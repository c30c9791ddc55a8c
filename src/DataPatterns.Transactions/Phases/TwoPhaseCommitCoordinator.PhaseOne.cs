using System.Diagnostics;

namespace DataPatterns.Transactions;

// Phase one: a single branch commits in one phase; several prepare in parallel, the decision is written to the log
// (presumed abort: no record, no commit), and a failed prepare rolls every branch back.
public sealed partial class TwoPhaseCommitCoordinator
{
    private async ValueTask CommitOnePhaseAsync(DistributedTransaction transaction, EnlistedBranch branch, CancellationToken cancellationToken)
    {
        using var timeout = CreateTimeout(transaction, cancellationToken, out var token);
        try
        {
            await branch.Participant.CommitOnePhaseAsync(token).AsTask().WaitAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var reason = token.IsCancellationRequested ? "timed out or was cancelled during its one-phase commit" : "failed its one-phase commit";
            await RollbackBranchesAsync([branch]).ConfigureAwait(false);
            throw Abort(transaction, [branch.ResourceName], $"'{branch.ResourceName}' {reason}: {ex.Message}", ex);
        }
        finally
        {
            await branch.ReleaseAsync().ConfigureAwait(false);
        }

        transaction.SetStatus(DistributedTransactionStatus.Committed);
        _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.mode", "one_phase"));
        Finish(transaction);
    }

    private async ValueTask CommitTwoPhaseAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, CancellationToken cancellationToken)
    {
        // With last-resource commit one branch is not prepared: its own commit will carry the decision.
        var lastResource = FindLastResource(branches);
        await PrepareAllAsync(transaction, branches, lastResource, cancellationToken).ConfigureAwait(false);
        await ObserveAsync(TransactionProtocolStep.AllPrepared, transaction).ConfigureAwait(false);

        var writers = await KeepWritersAsync(branches, lastResource).ConfigureAwait(false);
        if (writers.Count == 0 && lastResource is not null)
        {
            // Everyone else only read: the last resource alone commits, and no decision is needed.
            await CommitOnePhaseAsync(transaction, lastResource, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (writers.Count == 0)
        {
            transaction.SetStatus(DistributedTransactionStatus.Committed);
            _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.mode", "read_only"));
            Finish(transaction);
            return;
        }

        await DecideAsync(transaction, branches, writers, lastResource, cancellationToken).ConfigureAwait(false);
        await ObserveAsync(TransactionProtocolStep.DecisionLogged, transaction).ConfigureAwait(false);
        _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.mode", lastResource is null ? "two_phase" : "last_resource"));
        await RunPhaseTwoAsync(transaction, writers).ConfigureAwait(false);
    }

    /// <summary>Phase one: every branch but the last resource prepares at once; if any fails or votes no, every branch
    /// is rolled back and the transaction aborts.</summary>
    private async ValueTask PrepareAllAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, EnlistedBranch? lastResource, CancellationToken cancellationToken)
    {
        using (var timeout = CreateTimeout(transaction, cancellationToken, out var token))
        using (var prepareActivity = TransactionsMetrics.ActivitySource.StartActivity("2pc prepare"))
        {
            var prepared = 0;
            var tasks = new Task[branches.Count];
            for (var i = 0; i < branches.Count; i++)
            {
                tasks[i] = branches[i] == lastResource ? Task.CompletedTask : PrepareBranchAsync(branches[i]);
            }

            await Task.WhenAll(tasks).ConfigureAwait(false);

            async Task PrepareBranchAsync(EnlistedBranch branch)
            {
                branch.PrepareStarted = true;
                try
                {
                    branch.Vote = await branch.Participant.PrepareAsync(branch.GlobalId, token).AsTask().WaitAsync(token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    branch.Failure = ex;
                    return;
                }

                if (branch.Vote == PrepareVote.Prepared && Interlocked.Increment(ref prepared) == 1)
                {
                    await ObserveAsync(TransactionProtocolStep.FirstPrepared, transaction).ConfigureAwait(false);
                }
            }

            List<EnlistedBranch>? failed = null;
            foreach (var branch in branches)
            {
                if (branch.Failure is not null || branch.Vote == PrepareVote.No)
                {
                    (failed ??= []).Add(branch);
                }
            }

            if (failed is not null)
            {
                prepareActivity?.SetStatus(ActivityStatusCode.Error, "a participant did not prepare");
                await RollbackBranchesAsync(branches).ConfigureAwait(false);
                var timedOut = token.IsCancellationRequested;
                var details = string.Join("; ", failed.Select(b => b.Failure switch
                {
                    null => $"'{b.ResourceName}' voted no",
                    OperationCanceledException when timedOut => $"'{b.ResourceName}' did not prepare within the timeout ({transaction.Timeout}) or the commit was cancelled",
                    var ex => $"'{b.ResourceName}' failed to prepare: {ex.Message}",
                }));
                throw Abort(transaction, failed.Select(b => b.ResourceName).ToArray(), details, failed.Select(b => b.Failure).FirstOrDefault(e => e is not null));
            }
        }
    }

    /// <summary>The prepared branches that wrote (the last resource aside); read-only branches are released now.</summary>
    private static async ValueTask<List<EnlistedBranch>> KeepWritersAsync(List<EnlistedBranch> branches, EnlistedBranch? lastResource)
    {
        var writers = new List<EnlistedBranch>(branches.Count);
        foreach (var branch in branches)
        {
            if (branch == lastResource)
            {
                continue;
            }

            if (branch.Vote == PrepareVote.Prepared)
            {
                writers.Add(branch);
            }
            else
            {
                await branch.ReleaseAsync().ConfigureAwait(false);
            }
        }

        return writers;
    }

    /// <summary>The decision: durable before any participant hears "commit". From here on the transaction is committed.</summary>
    private async ValueTask DecideAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, List<EnlistedBranch> writers, EnlistedBranch? lastResource, CancellationToken cancellationToken)
    {
        using (var decisionActivity = TransactionsMetrics.ActivitySource.StartActivity("2pc decision"))
        {
            var decided = new CommitBranch[writers.Count];
            for (var i = 0; i < decided.Length; i++)
            {
                decided[i] = new CommitBranch(writers[i].ResourceName, writers[i].GlobalId);
            }

            var decision = new CommitDecision(transaction.Id, _time.GetUtcNow(), decided);
            if (lastResource is not null)
            {
                await CommitLastResourceAsync(transaction, branches, lastResource, decision, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await RecordDecisionAsync(transaction, branches, decision, decisionActivity).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Phase two: in the background when the caller does not wait for it, else here, with heuristic outcomes
    /// raised.</summary>
    private async ValueTask RunPhaseTwoAsync(DistributedTransaction transaction, List<EnlistedBranch> writers)
    {
        if (!_options.WaitForPhaseTwo)
        {
            // Committed: the caller goes on while COMMIT PREPARED, already sent to every writer, completes. Until it has,
            // another session may not see this transaction's writes yet (transaction.WhenCompletedAsync waits for that).
            transaction.SetStatus(DistributedTransactionStatus.CommittedPendingPhaseTwo);
            var background = CompleteInBackgroundAsync(transaction, writers);
            transaction.PhaseTwo = background;
            if (!background.IsCompleted)
            {
                Track(transaction.Id, background);
            }

            return;
        }

        var heuristic = await CompletePhaseTwoAsync(transaction, writers).ConfigureAwait(false);
        if (heuristic.Length > 0)
        {
            throw new TransactionHeuristicException(transaction.Id, heuristic);
        }
    }

    private async ValueTask RecordDecisionAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, CommitDecision decision, Activity? decisionActivity)
    {
        try
        {
            await _log.RecordCommitAsync(decision, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            decisionActivity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (_log is IFencingDecisionLog)
            {
                // The insert may have committed with only its answer lost: rolling back on a guess could leave a
                // committed decision beside rolled-back branches. The fence tells which.
                await SettleByFenceAsync(transaction, branches, "the decision log", [], ex).ConfigureAwait(false);
                return;
            }

            await TryForgetAsync(transaction.Id).ConfigureAwait(false);
            await RollbackBranchesAsync(branches).ConfigureAwait(false);
            throw Abort(transaction, [], $"the commit decision could not be written to the decision log: {ex.Message}", ex);
        }
    }

    private async ValueTask ReleaseQuietlyAsync(DistributedTransaction transaction, EnlistedBranch branch)
    {
        try
        {
            await branch.ReleaseAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            TransactionsLog.ReleaseFailed(_logger, transaction.Id, branch.ResourceName, branch.GlobalId, ex);
        }
    }

    private async Task RollbackBranchesAsync(List<EnlistedBranch> branches)
    {
        var tasks = new Task[branches.Count];
        for (var i = 0; i < branches.Count; i++)
        {
            tasks[i] = RollbackOneAsync(branches[i]);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);

        async Task RollbackOneAsync(EnlistedBranch branch)
        {
            try
            {
                if (branch.Vote != PrepareVote.ReadOnly)
                {
                    await branch.Participant.RollbackAsync(branch.GlobalId, CancellationToken.None).AsTask().WaitAsync(_options.TransactionTimeout, _time, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                TransactionsLog.RollbackFailed(_logger, branch.GlobalId, branch.ResourceName, ex);
            }
            finally
            {
                try
                {
                    await branch.ReleaseAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    TransactionsLog.RollbackFailed(_logger, branch.GlobalId, branch.ResourceName, ex);
                }
            }
        }
    }

    private TwoPhaseCommitAbortedException Abort(DistributedTransaction transaction, string[] failed, string details, Exception? inner)
    {
        transaction.SetStatus(DistributedTransactionStatus.Aborted);
        _telemetry.Aborts.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.reason", failed.Length > 0 ? "participant" : "decision_log"));
        TransactionsLog.Aborted(_logger, transaction.Id, details, inner);
        Finish(transaction);
        return new TwoPhaseCommitAbortedException(
            transaction.Id,
            failed,
            $"Transaction {transaction.Id:N} rolled back on every participant: {details}. Nothing was committed; retry the unit of work if it is safe to.",
            inner);
    }
}
