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
    private readonly TransactionsMetrics _telemetry;
    private readonly ConcurrentDictionary<Guid, DistributedTransaction> _inFlight = new();
    private readonly ConcurrentDictionary<Guid, Task> _phaseTwoRetries = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly RecoveryStartWatch _recoveryWatch;

    /// <summary>Creates a coordinator from DI (see <c>AddTwoPhaseCommit</c>).</summary>
    public TwoPhaseCommitCoordinator(
        IOptions<TwoPhaseCommitOptions> options,
        IDecisionLog? decisionLog,
        IEnumerable<ITransactionResource> resources,
        TimeProvider timeProvider,
        ILogger<TwoPhaseCommitCoordinator> logger,
        IMeterFactory? meterFactory = null)
        : this(options?.Value!, decisionLog, resources, timeProvider, logger, meterFactory)
    {
    }

    /// <summary>Creates a coordinator without DI.</summary>
    /// <param name="options">The settings (checked here: invalid ones throw).</param>
    /// <param name="decisionLog">Where commit decisions go (e.g. a <see cref="FileDecisionLog"/>); null with <see cref="TwoPhaseCommitOptions.StatelessCommit"/>, which keeps none.</param>
    /// <param name="resources">The resources (databases) by name, for phase-2 retries and recovery.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger; none when null.</param>
    /// <param name="meterFactory">Where the meter comes from; a standalone meter when null.</param>
    public TwoPhaseCommitCoordinator(
        TwoPhaseCommitOptions options,
        IDecisionLog? decisionLog,
        IEnumerable<ITransactionResource>? resources = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = TwoPhaseCommitOptionsValidator.Check(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(TwoPhaseCommitOptions), typeof(TwoPhaseCommitOptions), failures);
        }

        _options = options;
        _log = options.StatelessCommit ? NoDecisionLog.Instance : decisionLog ?? throw new ArgumentNullException(nameof(decisionLog), "A decision log is needed unless TwoPhaseCommitOptions.StatelessCommit is on; pass a FileDecisionLog or NpgsqlDecisionLog.");
        _resources = IndexResources(resources, options.StatelessCommit);
        if (options.TakeOverDeadNodes && _log is not ICoordinatorNodeClaim)
        {
            throw new ArgumentException($"TwoPhaseCommitOptions.TakeOverDeadNodes needs a decision log every node shares (UseNpgsqlDecisionLog): with {_log.GetType().Name}, a gone node's decisions are out of reach. Turn it off or share the log.", nameof(decisionLog));
        }

        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _telemetry = new TransactionsMetrics(meterFactory);
        GlobalIdPrefix = options.StatelessCommit
            ? StatelessGlobalId.PrefixOf(options.Prefix)
            : GlobalTransactionId.CoordinatorPrefix(options.Prefix, options.NodeId);
        _recoveryWatch = new RecoveryStartWatch(RecoveryState, _time, _logger);
    }

    /// <summary>What recovery has done lately (for the health check and the start-up warning).</summary>
    internal RecoveryStatus RecoveryState { get; } = new();

    /// <summary>The start of every global id this coordinator makes: <c>prefix:node:</c>, or <c>prefix:~:</c> with stateless commit.</summary>
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
        using var activity = TransactionsMetrics.ActivitySource.StartActivity("2pc commit");
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
                case > 1 when _options.StatelessCommit:
                    await CommitStatelessAsync(transaction, branches, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await CommitTwoPhaseAsync(transaction, branches, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);

            // Whatever escaped the protocol's own handling leaves nothing of this transaction running here: recovery,
            // which skips transactions in flight, must be free to settle its branches as it would after a crash.
            Finish(transaction);
            throw;
        }
        finally
        {
            _telemetry.CommitDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        }
    }

    internal async ValueTask RollbackAsync(DistributedTransaction transaction, CancellationToken cancellationToken)
    {
        var branches = transaction.StartCompletion(DistributedTransactionStatus.Aborted, "roll back");
        using var activity = TransactionsMetrics.ActivitySource.StartActivity("2pc rollback");
        activity?.SetTag("datapatterns.transaction.id", transaction.Id.ToString("N"));
        await RollbackBranchesAsync(branches).ConfigureAwait(false);
        _telemetry.Aborts.Add(1, new KeyValuePair<string, object?>("datapatterns.transactions.reason", "requested"));
        Finish(transaction);
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

    private void Finish(DistributedTransaction transaction) => _inFlight.TryRemove(transaction.Id, out _);

    private static Dictionary<string, ITransactionResource> IndexResources(IEnumerable<ITransactionResource>? resources, bool stateless)
    {
        var byName = new Dictionary<string, ITransactionResource>(StringComparer.Ordinal);
        foreach (var resource in resources ?? [])
        {
            if (!byName.TryAdd(resource.Name, resource))
            {
                throw new ArgumentException($"Two resources are named '{resource.Name}'; give every database registered with the coordinator its own name.", nameof(resources));
            }

            if (stateless && !GlobalTransactionId.IsValidPart(resource.Name))
            {
                throw new ArgumentException($"Resource name '{resource.Name}' cannot take part in stateless commit, whose global ids name every participant: use 1 to {GlobalTransactionId.MaxPartLength} of A-Z a-z 0-9 _ - .", nameof(resources));
            }

            if (stateless && resource is not IStatelessResource)
            {
                throw new ArgumentException($"Resource '{resource.Name}' ({resource.GetType().Name}) cannot take part in stateless commit: it does not implement IStatelessResource (markers and fences). Turn TwoPhaseCommitOptions.StatelessCommit off or use a resource that supports it (NpgsqlTransactionResource does).", nameof(resources));
            }
        }

        return byName;
    }
}
