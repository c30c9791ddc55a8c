using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataPatterns.Transactions;

/// <summary>
/// For operators: lists the in-doubt transactions of the coordinator's prefix on every resource (whichever node began
/// them), resolves one by hand with an audit log line, and takes over the transactions of a coordinator node that is
/// gone. Registered by <c>AddTwoPhaseCommit</c>. It refuses what would break a promise: rolling back a transaction
/// that is committed (a decision on record, or every stateless branch prepared), or committing a stateless one that a
/// participant never prepared.
/// </summary>
public sealed partial class TransactionAdmin
{
    private readonly TwoPhaseCommitCoordinator _coordinator;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the admin API over <paramref name="coordinator"/>.</summary>
    public TransactionAdmin(TwoPhaseCommitCoordinator coordinator, TimeProvider? timeProvider = null, ILogger<TransactionAdmin>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        _coordinator = coordinator;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Every transaction of the prefix with a branch prepared on a registered resource, oldest first.</summary>
    /// <exception cref="InvalidOperationException">A resource could not be asked (its name is in the message).</exception>
    public async ValueTask<IReadOnlyList<InDoubtTransaction>> ListInDoubtAsync(CancellationToken cancellationToken)
    {
        var found = await FindAsync(cancellationToken).ConfigureAwait(false);
        var decisions = await _coordinator.ReadAllDecisionsAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var listed = new List<InDoubtTransaction>(found.Count);
        foreach (var (transactionId, transaction) in found)
        {
            var state = await JudgeAsync(transactionId, transaction, decisions, cancellationToken).ConfigureAwait(false);
            var participants = transaction.Named
                ?? decisions.GetValueOrDefault(transactionId)?.Branches.Select(static b => b.ResourceName).ToArray()
                ?? transaction.Prepared.Select(static p => p.ResourceName).Distinct(StringComparer.Ordinal).ToArray();
            var oldest = transaction.Prepared.Min(static p => p.PreparedAt);
            listed.Add(new InDoubtTransaction(transactionId, transaction.Node, state, now - oldest, participants, transaction.Prepared));
        }

        return [.. listed.OrderByDescending(static t => t.Age)];
    }

    private async ValueTask<InDoubtState> JudgeAsync(Guid transactionId, FoundTransaction transaction, Dictionary<Guid, CommitDecision> decisions, CancellationToken cancellationToken)
    {
        if (_coordinator.IsInFlight(transactionId))
        {
            return InDoubtState.InFlight;
        }

        if (transaction.Named is { } named)
        {
            return await StatelessVerdictAsync(transactionId, named, cancellationToken).ConfigureAwait(false) switch
            {
                null => InDoubtState.OtherNode,
                StatelessRecoveryVerdict.Commit => InDoubtState.WillCommit,
                _ => InDoubtState.WillRollBack,
            };
        }

        if (decisions.ContainsKey(transactionId))
        {
            return InDoubtState.WillCommit;
        }

        return transaction.Node == _coordinator.Options.NodeId || _coordinator.DecisionLogIsShared
            ? InDoubtState.WillRollBack
            : InDoubtState.OtherNode;
    }

    /// <summary>What the stateless rule says now; null when a participant it names is not registered here.</summary>
    private async ValueTask<StatelessRecoveryVerdict?> StatelessVerdictAsync(Guid transactionId, IReadOnlyList<string> named, CancellationToken cancellationToken)
    {
        if (StatelessResources(named) is not { } resources)
        {
            return null;
        }

        var ids = StatelessGlobalId.Format(_coordinator.Options.Prefix, transactionId, named);
        var seen = await Task.WhenAll(resources.Select((r, i) => r.ObserveAsync(ids[i], cancellationToken).AsTask())).ConfigureAwait(false);
        return StatelessRecoveryDecision.Decide(seen);
    }

    private IStatelessResource[]? StatelessResources(IReadOnlyList<string> named)
    {
        var resources = new IStatelessResource[named.Count];
        for (var i = 0; i < resources.Length; i++)
        {
            if (!_coordinator.TryGetResource(named[i], out var resource) || resource is not IStatelessResource stateless)
            {
                return null;
            }

            resources[i] = stateless;
        }

        return resources;
    }

    /// <summary>The prepared branches of the prefix on every resource, by transaction.</summary>
    private async ValueTask<Dictionary<Guid, FoundTransaction>> FindAsync(CancellationToken cancellationToken)
    {
        var prefix = _coordinator.Options.Prefix + ":";
        var found = new Dictionary<Guid, FoundTransaction>();
        foreach (var resource in _coordinator.Resources)
        {
            IReadOnlyList<InDoubtBranch> branches;
            try
            {
                branches = await resource.GetInDoubtBranchesAsync(prefix, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException($"Resource '{resource.Name}' could not be asked for its prepared transactions: {ex.Message}. The list would be incomplete; try again when it answers.", ex);
            }

            foreach (var branch in branches)
            {
                if (AnyGlobalId.TryRead(branch.GlobalId, _coordinator.Options.Prefix, out var transactionId, out var node, out var named))
                {
                    if (!found.TryGetValue(transactionId, out var transaction))
                    {
                        found[transactionId] = transaction = new FoundTransaction(node, named, []);
                    }

                    transaction.Prepared.Add(new InDoubtParticipant(resource.Name, branch.GlobalId, branch.PreparedAt));
                }
            }
        }

        return found;
    }

    private sealed record FoundTransaction(string Node, IReadOnlyList<string>? Named, List<InDoubtParticipant> Prepared);
}
