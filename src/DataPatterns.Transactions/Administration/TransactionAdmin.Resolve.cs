namespace DataPatterns.Transactions;

// Resolving one transaction by hand, and taking over a gone node's transactions.
public sealed partial class TransactionAdmin
{
    private const int ResolveRounds = 3;

    /// <summary>
    /// Resolves transaction <paramref name="transactionId"/> now, whatever the grace period, and writes an audit line
    /// (Warning, event 3025) with <paramref name="reason"/>. Stateless commit: only the outcome the participants already
    /// fix is accepted (commit when every branch prepared; roll back, after fencing, when one never did). Log-based modes:
    /// rolling back a transaction with a commit decision is refused; committing one without a decision is the operator's
    /// call (say, after a damaged log lost its decision) and is logged as such.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is empty.</exception>
    /// <exception cref="KeyNotFoundException">No branch of the transaction is prepared on any registered resource.</exception>
    /// <exception cref="InvalidOperationException">The outcome would break what the transaction's caller may have been told, the transaction is running in this process, or it cannot be settled now.</exception>
    public async ValueTask ResolveAsync(Guid transactionId, ManualOutcome outcome, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (_coordinator.IsInFlight(transactionId))
        {
            throw new InvalidOperationException($"Transaction {transactionId:N} is still running in this process; let it finish (its timeout is {_coordinator.Options.TransactionTimeout}).");
        }

        var found = (await FindAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(transactionId)
            ?? throw new KeyNotFoundException($"No branch of transaction {transactionId:N} is prepared on any registered resource ({string.Join(", ", _coordinator.Resources.Select(static r => r.Name))}): it is settled already, or its resources are not registered here.");
        if (found.Named is { } named)
        {
            await ResolveStatelessAsync(transactionId, named, outcome, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ResolveLoggedAsync(transactionId, found, outcome, reason, cancellationToken).ConfigureAwait(false);
        }

        TransactionsLog.ResolvedByHand(_logger, transactionId, outcome == ManualOutcome.Commit ? "committed" : "rolled back", reason, string.Join(", ", found.Prepared.Select(static p => $"{p.GlobalId} on '{p.ResourceName}'")));
    }

    /// <summary>
    /// Takes over node <paramref name="nodeId"/>'s transactions (log-based modes): claims its prefix and node id, which
    /// succeeds only when no live coordinator holds them, runs one recovery pass for that node from the shared decision
    /// log, and lets the claim go. The grace period still applies to transactions with no decision.
    /// </summary>
    /// <exception cref="CoordinatorNodeInUseException">The node is alive: it holds its claim.</exception>
    /// <exception cref="InvalidOperationException">Stateless commit (it has no nodes), or the decision log is not shared (a file log: start a coordinator with that node id on that file instead).</exception>
    public ValueTask<RecoveryResult> TakeOverNodeAsync(string nodeId, CancellationToken cancellationToken)
    {
        var options = _coordinator.Options;
        if (options.StatelessCommit)
        {
            throw new InvalidOperationException("Stateless commit has no coordinator nodes: every instance's recovery settles every transaction of the prefix already.");
        }

        if (!GlobalTransactionId.IsValidPart(nodeId) || nodeId == options.NodeId)
        {
            throw new ArgumentException($"'{nodeId}' is not another valid node id (1 to {GlobalTransactionId.MaxPartLength} of A-Z a-z 0-9 _ - ., not this coordinator's own '{options.NodeId}').", nameof(nodeId));
        }

        if (!_coordinator.DecisionLogIsShared)
        {
            throw new InvalidOperationException($"Node '{nodeId}''s decisions are in its own decision log, which this coordinator cannot read. Use a shared log (UseNpgsqlDecisionLog) to allow takeovers, or start a coordinator with NodeId '{nodeId}' on that node's log file.");
        }

        return _coordinator.TakeOverNodeAsync(nodeId, cancellationToken);
    }

    private async ValueTask ResolveStatelessAsync(Guid transactionId, IReadOnlyList<string> named, ManualOutcome outcome, CancellationToken cancellationToken)
    {
        var resources = StatelessResources(named)
            ?? throw new InvalidOperationException($"Transaction {transactionId:N} names participants ({string.Join(", ", named)}) that are not all registered here; resolve it where they are.");
        var verdict = await StatelessVerdictAsync(transactionId, named, cancellationToken).ConfigureAwait(false);
        if (verdict == StatelessRecoveryVerdict.Commit && outcome == ManualOutcome.RollBack)
        {
            throw new InvalidOperationException($"Transaction {transactionId:N} is committed: every participant prepared (or one committed), and its caller may have been told so. It can only be committed.");
        }

        if (verdict != StatelessRecoveryVerdict.Commit && outcome == ManualOutcome.Commit)
        {
            throw new InvalidOperationException($"Transaction {transactionId:N} cannot commit: a participant has no prepared branch (or was fenced). It can only be rolled back.");
        }

        var ids = StatelessGlobalId.Format(_coordinator.Options.Prefix, transactionId, named);
        var settled = await StatelessResolver.ResolveAsync(resources, ids, ResolveRounds, cancellationToken, _logger).ConfigureAwait(false);
        if (settled == StatelessOutcome.Pending)
        {
            throw new InvalidOperationException($"Transaction {transactionId:N}: a participant's branch still holds its marker key (it is running or being prepared); try again in a moment.");
        }
    }

    private async ValueTask ResolveLoggedAsync(Guid transactionId, FoundTransaction found, ManualOutcome outcome, string reason, CancellationToken cancellationToken)
    {
        var decisions = await _coordinator.ReadAllDecisionsAsync(cancellationToken).ConfigureAwait(false);
        var decided = decisions.ContainsKey(transactionId);
        if (decided && outcome == ManualOutcome.RollBack)
        {
            throw new InvalidOperationException($"Transaction {transactionId:N} has a commit decision on record: it is committed and can only be committed.");
        }

        if (outcome == ManualOutcome.RollBack && !await _coordinator.FenceForAdminAsync(transactionId, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Transaction {transactionId:N}: its last-resource commit landed just now, so it is committed and can only be committed.");
        }

        if (!decided && outcome == ManualOutcome.Commit)
        {
            TransactionsLog.CommittedWithoutDecision(_logger, transactionId, reason);
        }

        foreach (var branch in found.Prepared)
        {
            _coordinator.TryGetResource(branch.ResourceName, out var resource);
            _ = outcome == ManualOutcome.Commit
                ? await resource!.CommitPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false)
                : await resource!.RollbackPreparedAsync(branch.GlobalId, cancellationToken).ConfigureAwait(false);
        }
    }
}
