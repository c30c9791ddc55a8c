using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DataPatterns.Transactions;

/// <summary>
/// The two-phase-commit coordinator: begins distributed transactions, runs parallel prepare, writes the commit decision
/// to the durable <see cref="IDecisionLog"/> before phase 2 (presumed abort), retries phase 2 in the background until
/// every participant acknowledges, and recovers in-doubt branches of its own prefix and node after a crash.
/// </summary>
public sealed partial class TwoPhaseCommitCoordinator : IAsyncDisposable
{
    private readonly TwoPhaseCommitOptions _options;
    private readonly IDecisionLog _log;
    private readonly Dictionary<string, ITransactionResource> _resources;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TransactionsTelemetry _telemetry;
    private readonly ConcurrentDictionary<Guid, DistributedTransaction> _inFlight = new();
    private readonly ConcurrentDictionary<Guid, Task> _phaseTwoRetries = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly RecoveryStartWatch _recoveryWatch;

    /// <summary>Creates a coordinator from DI (see <c>AddTwoPhaseCommit</c>).</summary>
    public TwoPhaseCommitCoordinator(
        IOptions<TwoPhaseCommitOptions> options,
        IDecisionLog decisionLog,
        IEnumerable<ITransactionResource> resources,
        TimeProvider timeProvider,
        ILogger<TwoPhaseCommitCoordinator> logger,
        IMeterFactory? meterFactory = null)
        : this(options?.Value!, decisionLog, resources, timeProvider, logger, meterFactory)
    {
    }

    /// <summary>Creates a coordinator without DI.</summary>
    /// <param name="options">The settings (checked here: invalid ones throw).</param>
    /// <param name="decisionLog">Where commit decisions go (e.g. a <see cref="FileDecisionLog"/>).</param>
    /// <param name="resources">The resources (databases) by name, for phase-2 retries and recovery.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger; none when null.</param>
    /// <param name="meterFactory">Where the meter comes from; a standalone meter when null.</param>
    public TwoPhaseCommitCoordinator(
        TwoPhaseCommitOptions options,
        IDecisionLog decisionLog,
        IEnumerable<ITransactionResource>? resources = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(decisionLog);
        var failures = TwoPhaseCommitOptionsValidator.Check(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(TwoPhaseCommitOptions), typeof(TwoPhaseCommitOptions), failures);
        }

        _options = options;
        _log = decisionLog;
        _resources = new Dictionary<string, ITransactionResource>(StringComparer.Ordinal);
        foreach (var resource in resources ?? [])
        {
            if (!_resources.TryAdd(resource.Name, resource))
            {
                throw new ArgumentException($"Two resources are named '{resource.Name}'; give every database registered with the coordinator its own name.", nameof(resources));
            }
        }

        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _telemetry = new TransactionsTelemetry(meterFactory);
        GlobalIdPrefix = GlobalTransactionId.CoordinatorPrefix(options.Prefix, options.NodeId);
        _recoveryWatch = new RecoveryStartWatch(RecoveryState, _time, _logger);
    }

    /// <summary>What recovery has done lately (for the health check and the start-up warning).</summary>
    internal RecoveryStatus RecoveryState { get; } = new();

    /// <summary>The start of every global id this coordinator makes: <c>prefix:node:</c>.</summary>
    public string GlobalIdPrefix { get; }

    /// <summary>The registered resources.</summary>
    public IReadOnlyCollection<ITransactionResource> Resources => _resources.Values;

    /// <summary>The settings in use.</summary>
    public TwoPhaseCommitOptions Options => _options;

    /// <summary>Transactions begun and not yet finished (including those whose phase 2 is retried in the background).</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>Called at each protocol step (crash tests print here and wait to be killed).</summary>
    internal Func<TransactionProtocolStep, Guid, ValueTask>? StepObserver { get; set; }

    /// <summary>The resource registered under <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    public ITransactionResource GetResource(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _resources.TryGetValue(name, out var resource)
            ? resource
            : throw new KeyNotFoundException($"No transaction resource is named '{name}'. Register it with AddTwoPhaseCommit(...).AddResource(...) (or UseNpgsql(\"{name}\", ...)); registered: {string.Join(", ", _resources.Keys)}.");
    }

    /// <summary>Begins a distributed transaction.</summary>
    /// <param name="timeout">How long phase 1 may take from now; <see cref="TwoPhaseCommitOptions.TransactionTimeout"/> when null.</param>
    public DistributedTransaction Begin(TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var effective = timeout ?? _options.TransactionTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(effective, TimeSpan.Zero, nameof(timeout));
        var transaction = new DistributedTransaction(this, Guid.CreateVersion7(_time.GetUtcNow()), _time.GetTimestamp(), effective);
        _inFlight[transaction.Id] = transaction;
        _recoveryWatch.Used();
        return transaction;
    }

    /// <summary>Runs every resource's start-up check (e.g. that PostgreSQL allows prepared transactions).</summary>
    public async ValueTask ValidateResourcesAsync(CancellationToken cancellationToken)
    {
        foreach (var resource in _resources.Values)
        {
            await resource.ValidateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until every background phase-2 retry started so far has finished (or the coordinator stops).</summary>
    public Task WhenPhaseTwoCompleteAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(_phaseTwoRetries.Values).WaitAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _recoveryWatch.Dispose();
        try
        {
            await Task.WhenAll(_phaseTwoRetries.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped mid-retry: recovery finishes those branches after the restart.
        }

        // Held until the work is done: a replacement may claim the node id only once nothing of this one runs.
        await _nodeClaimGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await ReleaseNodeClaimsAsync().ConfigureAwait(false);
        }
        finally
        {
            _nodeClaimGate.Release();
        }

        _telemetry.Dispose();
        _stopping.Dispose();
    }

    internal async ValueTask CommitAsync(DistributedTransaction transaction, CancellationToken cancellationToken)
    {
        var branches = transaction.StartCompletion(DistributedTransactionStatus.Committing, "commit");
        var started = _time.GetTimestamp();
        using var activity = TransactionsTelemetry.ActivitySource.StartActivity("2pc commit");
        activity?.SetTag("datapatterns.transaction.id", transaction.Id.ToString("N"));
        activity?.SetTag("datapatterns.transaction.participants", branches.Count);
        try
        {
            switch (branches.Count)
            {
                case 0:
                    transaction.SetStatus(DistributedTransactionStatus.Committed);
                    Finish(transaction);
                    break;
                case 1:
                    await CommitOnePhaseAsync(transaction, branches[0], cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await CommitTwoPhaseAsync(transaction, branches, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            _telemetry.CommitDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    internal async ValueTask RollbackAsync(DistributedTransaction transaction, CancellationToken cancellationToken)
    {
        var branches = transaction.StartCompletion(DistributedTransactionStatus.Aborted, "roll back");
        using var activity = TransactionsTelemetry.ActivitySource.StartActivity("2pc rollback");
        activity?.SetTag("datapatterns.transaction.id", transaction.Id.ToString("N"));
        await RollbackBranchesAsync(branches).ConfigureAwait(false);
        _telemetry.Aborts.Add(1, new KeyValuePair<string, object?>("reason", "requested"));
        Finish(transaction);
    }

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
        _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("mode", "one_phase"));
        Finish(transaction);
    }

    private async ValueTask CommitTwoPhaseAsync(DistributedTransaction transaction, List<EnlistedBranch> branches, CancellationToken cancellationToken)
    {
        // With last-resource commit one branch is not prepared: its own commit will carry the decision.
        var lastResource = FindLastResource(branches);

        // Phase 1: every participant prepares at once.
        using (var timeout = CreateTimeout(transaction, cancellationToken, out var token))
        using (var prepareActivity = TransactionsTelemetry.ActivitySource.StartActivity("2pc prepare"))
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

        await ObserveAsync(TransactionProtocolStep.AllPrepared, transaction).ConfigureAwait(false);

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

        if (writers.Count == 0 && lastResource is not null)
        {
            // Everyone else only read: the last resource alone commits, and no decision is needed.
            await CommitOnePhaseAsync(transaction, lastResource, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (writers.Count == 0)
        {
            transaction.SetStatus(DistributedTransactionStatus.Committed);
            _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("mode", "read_only"));
            Finish(transaction);
            return;
        }

        // The decision: durable before any participant hears "commit". From here on the transaction is committed.
        using (var decisionActivity = TransactionsTelemetry.ActivitySource.StartActivity("2pc decision"))
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

        await ObserveAsync(TransactionProtocolStep.DecisionLogged, transaction).ConfigureAwait(false);
        _telemetry.Commits.Add(1, new KeyValuePair<string, object?>("mode", lastResource is null ? "two_phase" : "last_resource"));

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
        List<string>? heuristic = null;
        var pending = 0;
        using (TransactionsTelemetry.ActivitySource.StartActivity("2pc commit prepared"))
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
                    Interlocked.Increment(ref pending);
                    TransactionsLog.PhaseTwoDeferred(_logger, transaction.Id, branch.ResourceName, branch.GlobalId, ex);
                    return;
                }

                if (completion == BranchCompletion.NotFound)
                {
                    // Nobody else resolves this node's branches while the transaction is in flight: someone rolled it back.
                    lock (writers)
                    {
                        (heuristic ??= []).Add(branch.GlobalId);
                    }

                    _telemetry.HeuristicOutcomes.Add(1, new KeyValuePair<string, object?>("resource", branch.ResourceName));
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

        if (pending > 0)
        {
            transaction.SetStatus(DistributedTransactionStatus.CommittedPendingPhaseTwo);
            var left = new List<EnlistedBranch>(pending);
            foreach (var branch in writers)
            {
                if (branch.PhaseTwoPending)
                {
                    left.Add(branch);
                }
            }

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
        else
        {
            transaction.SetStatus(DistributedTransactionStatus.Committed);
            await TryForgetAsync(transaction.Id).ConfigureAwait(false);
            Finish(transaction);
        }

        return heuristic is null ? [] : [.. heuristic];
    }

    /// <summary>Keeps a background phase-2 task until it ends, for <see cref="WhenPhaseTwoCompleteAsync"/> and disposal.</summary>
    private void Track(Guid transactionId, Task task)
    {
        _phaseTwoRetries[transactionId] = task;
        _ = task.ContinueWith(
            (_, state) => ((ConcurrentDictionary<Guid, Task>)state!).TryRemove(new KeyValuePair<Guid, Task>(transactionId, task)),
            _phaseTwoRetries,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task RetryPhaseTwoAsync(DistributedTransaction transaction, List<EnlistedBranch> pending)
    {
        var delay = _options.PhaseTwoRetryDelay;
        try
        {
            while (pending.Count > 0)
            {
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
                        _telemetry.RecoveryActions.Add(1, new KeyValuePair<string, object?>("action", "commit"));
                        TransactionsLog.Recovered(_logger, completion == BranchCompletion.Completed ? "committed" : "found already committed", branch.GlobalId, branch.ResourceName);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                    {
                        TransactionsLog.PhaseTwoDeferred(_logger, transaction.Id, branch.ResourceName, branch.GlobalId, ex);
                    }
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.PhaseTwoMaxRetryDelay.Ticks));
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
        _telemetry.Aborts.Add(1, new KeyValuePair<string, object?>("reason", failed.Length > 0 ? "participant" : "decision_log"));
        TransactionsLog.Aborted(_logger, transaction.Id, details, inner);
        Finish(transaction);
        return new TwoPhaseCommitAbortedException(
            transaction.Id,
            failed,
            $"Transaction {transaction.Id:N} rolled back on every participant: {details}. Nothing was committed; retry the unit of work if it is safe to.",
            inner);
    }

    private PhaseTimeout CreateTimeout(DistributedTransaction transaction, CancellationToken cancellationToken, out CancellationToken token)
    {
        var remaining = transaction.Timeout - _time.GetElapsedTime(transaction.StartedTimestamp);
        var timeout = new PhaseTimeout(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1), _time, cancellationToken);
        token = timeout.Token;
        return timeout;
    }

    /// <summary>The phase-1 deadline on the coordinator's clock (so tests move time with a fake provider), linked to the caller's token.</summary>
    private sealed class PhaseTimeout : IDisposable
    {
        private readonly CancellationTokenSource _timer;
        private readonly CancellationTokenSource? _linked;

        public PhaseTimeout(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
        {
            _timer = new CancellationTokenSource(delay, time);
            if (cancellationToken.CanBeCanceled)
            {
                _linked = CancellationTokenSource.CreateLinkedTokenSource(_timer.Token, cancellationToken);
            }

            Token = (_linked ?? _timer).Token;
        }

        public CancellationToken Token { get; }

        public void Dispose()
        {
            _linked?.Dispose();
            _timer.Dispose();
        }
    }

    private async ValueTask ObserveAsync(TransactionProtocolStep step, DistributedTransaction transaction)
    {
        if (StepObserver is { } observer)
        {
            await observer(step, transaction.Id).ConfigureAwait(false);
        }
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

    private void Finish(DistributedTransaction transaction) => _inFlight.TryRemove(transaction.Id, out _);
}
