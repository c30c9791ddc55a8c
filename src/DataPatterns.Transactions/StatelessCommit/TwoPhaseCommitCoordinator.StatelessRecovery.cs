namespace DataPatterns.Transactions;

// Stateless recovery: any instance settles any transaction of the prefix, concurrently with others. Prepared branches
// are found on the participants and grouped by transaction; the global id names every participant, so each
// transaction is settled by asking all of them (StatelessResolver), never by anything this instance remembers.
public sealed partial class TwoPhaseCommitCoordinator
{
    // A pass looks at each transaction a few times at most; one still held (a fence blocked) waits for the next pass.
    private const int RecoveryRounds = 3;

    private async ValueTask<RecoveryResult> RecoverStatelessAsync(CancellationToken cancellationToken)
    {
        var pass = new RecoveryPass([], _time.GetUtcNow());
        var found = await FindStatelessInDoubtAsync(pass, cancellationToken).ConfigureAwait(false);
        foreach (var (transactionId, transaction) in found)
        {
            await SettleFoundAsync(transactionId, transaction, pass, cancellationToken).ConfigureAwait(false);
        }

        var deleted = await CollectMarkersAsync(pass, cancellationToken).ConfigureAwait(false);
        return FinishPass(pass, deleted);
    }

    /// <summary>The transactions with a prepared branch past the grace period and not in flight here, by transaction id.</summary>
    private async ValueTask<Dictionary<Guid, FoundTransaction>> FindStatelessInDoubtAsync(RecoveryPass pass, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, FoundTransaction>();
        var young = new HashSet<Guid>();
        foreach (var resource in _resources.Values)
        {
            foreach (var branch in await ListPreparedAsync(resource, pass, cancellationToken).ConfigureAwait(false))
            {
                if (!StatelessGlobalId.TryParse(branch.GlobalId, _options.Prefix, out var transactionId, out _, out var names))
                {
                    continue;
                }

                var age = pass.Now - branch.PreparedAt;
                pass.InDoubt++;
                pass.Oldest = age > pass.Oldest ? age : pass.Oldest;
                if (_inFlight.ContainsKey(transactionId) || age < _options.RecoveryGracePeriod)
                {
                    // Running here, or perhaps still preparing elsewhere: fencing it now would abort a healthy transaction.
                    young.Add(transactionId);
                }

                found[transactionId] = found.TryGetValue(transactionId, out var known)
                    ? known with { Prepared = known.Prepared + 1 }
                    : new FoundTransaction(names, 1);
            }
        }

        foreach (var transactionId in young)
        {
            pass.Waiting += found[transactionId].Prepared;
            found.Remove(transactionId);
        }

        return found;
    }

    private async ValueTask<IReadOnlyList<InDoubtBranch>> ListPreparedAsync(ITransactionResource resource, RecoveryPass pass, CancellationToken cancellationToken)
    {
        try
        {
            return await resource.GetInDoubtBranchesAsync(GlobalIdPrefix, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            pass.Unreachable.Add(resource.Name);
            TransactionsLog.ResourceUnreachable(_logger, resource.Name, ex);
            return [];
        }
    }

    /// <summary>Settles one transaction from all its participants; one this instance cannot ask entirely waits.</summary>
    private async ValueTask SettleFoundAsync(Guid transactionId, FoundTransaction transaction, RecoveryPass pass, CancellationToken cancellationToken)
    {
        var resources = new IStatelessResource[transaction.Resources.Count];
        for (var i = 0; i < resources.Length; i++)
        {
            if (!_resources.TryGetValue(transaction.Resources[i], out var resource))
            {
                pass.Waiting += transaction.Prepared;
                TransactionsLog.StatelessParticipantUnknown(_logger, transactionId.ToString("N"), string.Join(", ", transaction.Resources), transaction.Resources[i]);
                return;
            }

            resources[i] = (IStatelessResource)resource;
        }

        var ids = StatelessGlobalId.Format(_options.Prefix, transactionId, transaction.Resources);
        StatelessOutcome outcome;
        try
        {
            outcome = await StatelessResolver.ResolveAsync(resources, ids, RecoveryRounds, cancellationToken, _logger).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            pass.Waiting += transaction.Prepared;
            TransactionsLog.ResourceUnreachable(_logger, string.Join(", ", transaction.Resources), ex);
            return;
        }

        CountSettled(transactionId, transaction.Prepared, outcome, pass);
    }

    private void CountSettled(Guid transactionId, int prepared, StatelessOutcome outcome, RecoveryPass pass)
    {
        switch (outcome)
        {
            case StatelessOutcome.Committed:
                pass.Committed += prepared;
                pass.InDoubt -= prepared;
                _telemetry.RecoveryActions.Add(prepared, new KeyValuePair<string, object?>("datapatterns.transactions.action", "commit"));
                TransactionsLog.StatelessResolved(_logger, transactionId, "committed");
                break;
            case StatelessOutcome.Aborted:
                pass.RolledBack += prepared;
                pass.InDoubt -= prepared;
                _telemetry.RecoveryActions.Add(prepared, new KeyValuePair<string, object?>("datapatterns.transactions.action", "rollback"));
                TransactionsLog.StatelessResolved(_logger, transactionId, "rolled back (a participant was fenced)");
                break;
            default:
                pass.Waiting += prepared;
                break;
        }
    }

    /// <summary>A transaction found prepared somewhere: its participants in id order, and how many of its branches were found prepared.</summary>
    private readonly record struct FoundTransaction(IReadOnlyList<string> Resources, int Prepared);
}
