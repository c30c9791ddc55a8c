using System.Runtime.CompilerServices;
using System.Transactions;

namespace DataPatterns.Transactions;

public sealed partial class TwoPhaseCommitCoordinator
{
    private readonly ConditionalWeakTable<Transaction, DistributedTransaction> _ambient = [];
    private readonly Guid _resourceManagerId = Guid.NewGuid();

    /// <summary>
    /// The distributed transaction that completes with the ambient <see cref="Transaction.Current"/> (a
    /// <see cref="TransactionScope"/>): the first call enlists this coordinator as the transaction's single durable
    /// enlistment, so disposing a completed scope runs this coordinator's recoverable two-phase commit (no MSDTC, works on
    /// Linux). Enlist participants in the returned transaction; their connections must not auto-enlist (<c>Enlist=false</c>).
    /// </summary>
    /// <exception cref="TransactionStateException">There is no ambient transaction.</exception>
    public DistributedTransaction JoinAmbientTransaction()
    {
        var ambient = Transaction.Current
            ?? throw new TransactionStateException("There is no ambient System.Transactions transaction. Create a TransactionScope (with TransactionScopeAsyncFlowOption.Enabled for async code) before calling JoinAmbientTransaction.");
        lock (_ambient)
        {
            if (_ambient.TryGetValue(ambient, out var existing))
            {
                return existing;
            }

            var timeout = _options.TransactionTimeout;
            var transaction = Begin(timeout);
            ambient.EnlistDurable(_resourceManagerId, new AmbientTransactionEnlistment(transaction), EnlistmentOptions.None);
            _ambient.Add(ambient, transaction);
            return transaction;
        }
    }
}
