using System.Transactions;

namespace DataPatterns.Transactions;

/// <summary>
/// The coordinator's durable enlistment in a System.Transactions transaction. As the only durable enlistment it is asked
/// to commit in a single phase, and it runs the full two-phase commit of its participants then.
/// </summary>
internal sealed class AmbientTransactionEnlistment(DistributedTransaction transaction) : ISinglePhaseNotification
{
    public void SinglePhaseCommit(SinglePhaseEnlistment singlePhaseEnlistment) => _ = CommitAsync(singlePhaseEnlistment);

    public void Prepare(PreparingEnlistment preparingEnlistment) =>
        preparingEnlistment.ForceRollback(new TransactionStateException(
            "The ambient transaction has a second durable enlistment, which would need MSDTC. Let the two-phase-commit coordinator be the only durable resource: open participant connections with Enlist=false."));

    public void Commit(Enlistment enlistment) => enlistment.Done();

    public void Rollback(Enlistment enlistment) => _ = RollbackAsync(enlistment);

    public void InDoubt(Enlistment enlistment) => enlistment.Done();

    private async Task CommitAsync(SinglePhaseEnlistment enlistment)
    {
        // System.Transactions waits for the outcome on its own; the protocol runs asynchronously meanwhile.
        await Task.Yield();
        try
        {
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            enlistment.Committed();
        }
        catch (TwoPhaseCommitAbortedException ex)
        {
            enlistment.Aborted(ex);
        }
        catch (Exception ex)
        {
            enlistment.InDoubt(ex);
        }
    }

    private async Task RollbackAsync(Enlistment enlistment)
    {
        await Task.Yield();
        try
        {
            if (transaction.Status == DistributedTransactionStatus.Active)
            {
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (TransactionStateException)
        {
            // Completion already started elsewhere; that path finishes (or leaves to recovery) what is left.
        }
        finally
        {
            enlistment.Done();
        }
    }
}
