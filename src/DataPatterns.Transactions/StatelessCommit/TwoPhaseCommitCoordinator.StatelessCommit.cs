using System.Diagnostics;

namespace DataPatterns.Transactions;

// Stateless commit: every branch inserts its marker and prepares in one round trip, all at once, and the transaction
// is committed the moment the last one has prepared; there is no decision to write. When a branch does not answer
// "prepared", the coordinator never rolls back on its own say-so (a recovery elsewhere may already be committing a
// transaction whose every branch did prepare): it asks the participants, exactly as recovery would, and reports
// what they settle.
public sealed partial class TwoPhaseCommitCoordinator
{
    // Each round looks at every branch and fences at most one; a fence waits up to the resource's lock timeout.
    private const int SettleRounds = 5;

    private async ValueTask CommitStatelessAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, CancellationToken cancellationToken)
    {
        if (!TryAssignStatelessIds(transaction, branches, out var refusal))
        {
            await RollbackBranchesAsync(branches).ConfigureAwait(false);
            throw Abort(transaction, [], refusal!.Message, refusal);
        }

        if (!await PrepareWithMarkersAsync(transaction, branches, cancellationToken).ConfigureAwait(false))
        {
            await SettleStatelessAsync(transaction, branches).ConfigureAwait(false);
            return;
        }

        await ObserveAsync(TransactionProtocolStep.AllPrepared, transaction).ConfigureAwait(false);
        _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.mode", "stateless"));
        await RunPhaseTwoAsync(transaction, branches).ConfigureAwait(false);
    }

    /// <summary>Gives every branch the id that names all participants (refused when the names do not fit in one).</summary>
    private bool TryAssignStatelessIds(DistributedTransaction transaction, List<EnlistedBranch> branches, out ArgumentException? refusal)
    {
        var names = new string[branches.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = branches[i].ResourceName;
        }

        if (StatelessGlobalId.FormatChecked(GlobalIdPrefix, transaction.Id, names) is not { } ids)
        {
            refusal = new ArgumentException($"The global ids of transaction {transaction.Id:N} would reach PostgreSQL's {GlobalTransactionId.MaxLength} bytes: stateless commit puts every participant's name in them ({string.Join(", ", names)}). Shorten the prefix '{_options.Prefix}' or the resource names.");
            return false;
        }

        for (var i = 0; i < ids.Length; i++)
        {
            branches[i].GlobalId = ids[i];
        }

        refusal = null;
        return true;
    }

    /// <summary>Phase one: marker and prepare on every branch at once. True when every branch prepared.</summary>
    private async ValueTask<bool> PrepareWithMarkersAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, CancellationToken cancellationToken)
    {
        using var timeout = CreateTimeout(transaction, cancellationToken, out var token);
        using var activity = TransactionsMetrics.ActivitySource.StartActivity("2pc prepare");
        var prepared = 0;
        var tasks = new Task[branches.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = PrepareBranchAsync(branches[i]);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        if (prepared != branches.Count)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "a participant did not prepare");
            return false;
        }

        return true;

        async Task PrepareBranchAsync(EnlistedBranch branch)
        {
            branch.PrepareStarted = true;
            try
            {
                var preparing = ((IStatelessParticipant)branch.Participant).PrepareWithMarkerAsync(branch.GlobalId, token).AsTask();
                branch.Preparing = preparing;
                await preparing.WaitAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                branch.Failure = ex;
                return;
            }

            branch.Vote = PrepareVote.Prepared;
            if (Interlocked.Increment(ref prepared) == 1)
            {
                await ObserveAsync(TransactionProtocolStep.FirstPrepared, transaction).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Some branch did not answer "prepared": its own session is ended first (an open one holds its marker key and would
    /// block the fence), then the participants settle the outcome. Committed (every branch had prepared, only an answer
    /// was lost) returns normally; aborted throws <see cref="TwoPhaseCommitAbortedException"/>; still undecided throws
    /// <see cref="TransactionInDoubtException"/> and recovery finishes it.
    /// </summary>
    private async ValueTask SettleStatelessAsync(DistributedTransaction transaction, List<EnlistedBranch> branches)
    {
        var failed = branches.FindAll(static b => b.Failure is not null);
        var firstFailure = failed[0].Failure;
        var details = DescribeFailures(transaction, failed);
        TransactionsLog.StatelessPrepareIncomplete(_logger, transaction.Id, details, firstFailure);
        foreach (var branch in failed)
        {
            await EndSessionAsync(transaction, branch).ConfigureAwait(false);
        }

        var outcome = await AskParticipantsAsync(transaction, branches).ConfigureAwait(false);
        foreach (var branch in branches)
        {
            await ReleaseQuietlyAsync(transaction, branch).ConfigureAwait(false);
        }

        switch (outcome)
        {
            case StatelessOutcome.Committed:
                // Every branch had prepared; only an answer went missing. The participants say committed, and so do we.
                transaction.SetStatus(DistributedTransactionStatus.Committed);
                _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.mode", "stateless"));
                Finish(transaction);
                return;
            case StatelessOutcome.Aborted:
                throw Abort(transaction, failed.Select(static b => b.ResourceName).ToArray(), details, firstFailure);
            default:
                transaction.SetStatus(DistributedTransactionStatus.InDoubt);
                TransactionsLog.StatelessUndecided(_logger, transaction.Id);
                Finish(transaction);
                var names = failed.Select(static b => b.ResourceName).ToArray();
                throw new TransactionInDoubtException(
                    transaction.Id,
                    names,
                    $"Transaction {transaction.Id:N}: {details}; its participants could not settle the outcome yet (a branch still holds its key). Recovery on any instance settles it, both or neither; do not retry the unit of work until it has (TwoPhaseCommitCoordinator.RecoverAsync, or the hosted recovery service).",
                    firstFailure);
        }
    }

    /// <summary>Waits (bounded) for a failed branch's own prepare call to end, then returns its connection.</summary>
    private async ValueTask EndSessionAsync(DistributedTransaction transaction, EnlistedBranch branch)
    {
        if (branch.Preparing is { IsCompleted: false } preparing)
        {
            try
            {
                await preparing.WaitAsync(transaction.Timeout, _time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Its failure is already known; only its end mattered.
            }
        }

        await ReleaseQuietlyAsync(transaction, branch).ConfigureAwait(false);
    }

    private async ValueTask<StatelessOutcome> AskParticipantsAsync(DistributedTransaction transaction, List<EnlistedBranch> branches)
    {
        var resources = new IStatelessResource[branches.Count];
        var ids = new string[branches.Count];
        for (var i = 0; i < resources.Length; i++)
        {
            resources[i] = (IStatelessResource)_resources[branches[i].ResourceName];
            ids[i] = branches[i].GlobalId;
        }

        using var limit = new CancellationTokenSource(transaction.Timeout, _time);
        try
        {
            return await StatelessResolver.ResolveAsync(resources, ids, SettleRounds, limit.Token, _logger).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            TransactionsLog.ResourceUnreachable(_logger, string.Join(", ", branches.Select(static b => b.ResourceName)), ex);
            return StatelessOutcome.Pending;
        }
    }

    private static string DescribeFailures(DistributedTransaction transaction, List<EnlistedBranch> failed) =>
        string.Join("; ", failed.Select(b => b.Failure switch
        {
            OperationCanceledException => $"'{b.ResourceName}' did not prepare within the timeout ({transaction.Timeout}) or the commit was cancelled",
            var ex => $"'{b.ResourceName}' failed to prepare: {ex!.Message}",
        }));

    /// <summary>
    /// Phase 2 found no prepared branch: with stateless commit another instance's recovery may have committed it (its
    /// marker says so); only a branch without a committed marker was really rolled back.
    /// </summary>
    private async ValueTask<bool> WasRolledBackAsync(EnlistedBranch branch)
    {
        if (!_options.StatelessCommit || _resources[branch.ResourceName] is not IStatelessResource resource)
        {
            return true;
        }

        try
        {
            return await resource.ObserveAsync(branch.GlobalId, CancellationToken.None).ConfigureAwait(false) != BranchObservation.Committed;
        }
        catch (Exception ex)
        {
            TransactionsLog.ResourceUnreachable(_logger, branch.ResourceName, ex);
            return true;
        }
    }

    /// <summary>Refuses, at enlistment, a branch that stateless commit could not prepare or recover.</summary>
    internal void CheckStatelessEnlistment(ITransactionParticipant participant, List<EnlistedBranch> enlisted)
    {
        if (participant is not IStatelessParticipant)
        {
            throw new ArgumentException($"The participant for '{participant.ResourceName}' ({participant.GetType().Name}) cannot take part in stateless commit: it does not implement IStatelessParticipant. Use a branch of a resource that supports it (NpgsqlTransactionResource.BeginBranchAsync), or turn TwoPhaseCommitOptions.StatelessCommit off.", nameof(participant));
        }

        if (!_resources.ContainsKey(participant.ResourceName))
        {
            throw new ArgumentException($"The participant's resource '{participant.ResourceName}' is not registered with the coordinator: stateless recovery finds a transaction's participants by name. Register it (AddTwoPhaseCommit(...).UseNpgsql(\"{participant.ResourceName}\", ...)); registered: {string.Join(", ", _resources.Keys)}.", nameof(participant));
        }

        if (enlisted.Exists(b => b.ResourceName == participant.ResourceName))
        {
            throw new ArgumentException($"Resource '{participant.ResourceName}' already has a branch in this transaction; stateless commit takes one branch per resource. Run all of its work on that branch's connection.", nameof(participant));
        }
    }
}
