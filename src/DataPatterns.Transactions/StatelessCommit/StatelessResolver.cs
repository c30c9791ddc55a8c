using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataPatterns.Transactions;

/// <summary>
/// Finishes one stateless transaction from its participants alone, on any instance and concurrently with others: looks
/// at every branch, decides with <see cref="StatelessRecoveryDecision"/>, and commits, rolls back or fences. Two
/// resolvers racing on one transaction reach the same outcome, because only a fence that landed can abort it. A branch
/// that cannot be completed now (its database is down, or another resolver's session is completing it) stays prepared
/// and is logged: the outcome is already fixed by the participants, and the next pass finishes it.
/// </summary>
public static class StatelessResolver
{
    /// <summary>Resolves the transaction whose branch <c>i</c> is <paramref name="globalIds"/>[i] on <paramref name="resources"/>[i].</summary>
    /// <param name="resources">The participants, in the order of the global id.</param>
    /// <param name="globalIds">The branch ids (<see cref="StatelessGlobalId.Format"/>).</param>
    /// <param name="maxRounds">How many times to look again when a fence meets a held key before answering <see cref="StatelessOutcome.Pending"/>.</param>
    /// <param name="cancellationToken">Stops the attempt; whatever was done stays correct.</param>
    /// <param name="logger">Where a branch that could not be completed now is reported; none when null.</param>
    public static async ValueTask<StatelessOutcome> ResolveAsync(IReadOnlyList<IStatelessResource> resources, IReadOnlyList<string> globalIds, int maxRounds, CancellationToken cancellationToken, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(globalIds);
        ArgumentOutOfRangeException.ThrowIfNotEqual(globalIds.Count, resources.Count, nameof(globalIds));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRounds, 1);
        for (var round = 0; round < maxRounds; round++)
        {
            var seen = await Task.WhenAll(resources.Select((r, i) => r.ObserveAsync(globalIds[i], cancellationToken).AsTask())).ConfigureAwait(false);
            switch (StatelessRecoveryDecision.Decide(seen))
            {
                case StatelessRecoveryVerdict.Commit:
                    await CompleteAllAsync(resources, globalIds, commit: true, logger, cancellationToken).ConfigureAwait(false);
                    return StatelessOutcome.Committed;
                case StatelessRecoveryVerdict.Abort:
                    await CompleteAllAsync(resources, globalIds, commit: false, logger, cancellationToken).ConfigureAwait(false);
                    return StatelessOutcome.Aborted;
                default:
                    if (await FenceFirstAbsentAsync(resources, globalIds, seen, cancellationToken).ConfigureAwait(false))
                    {
                        await CompleteAllAsync(resources, globalIds, commit: false, logger, cancellationToken).ConfigureAwait(false);
                        return StatelessOutcome.Aborted;
                    }

                    break;
            }
        }

        return StatelessOutcome.Pending;
    }

    /// <summary>True when a fence landed (the transaction aborted); false when every try met a held or taken key.</summary>
    private static async ValueTask<bool> FenceFirstAbsentAsync(IReadOnlyList<IStatelessResource> resources, IReadOnlyList<string> globalIds, BranchObservation[] seen, CancellationToken cancellationToken)
    {
        for (var i = 0; i < seen.Length; i++)
        {
            if (seen[i] == BranchObservation.Absent
                && await resources[i].FenceAsync(globalIds[i], cancellationToken).ConfigureAwait(false) == FenceOutcome.Landed)
            {
                return true;
            }
        }

        return false;
    }

    // Sent to every participant: one that looked absent may have prepared since, and "not found" is an answer too.
    private static Task CompleteAllAsync(IReadOnlyList<IStatelessResource> resources, IReadOnlyList<string> globalIds, bool commit, ILogger logger, CancellationToken cancellationToken) =>
        Task.WhenAll(resources.Select((r, i) => CompleteAsync(r, globalIds[i], commit, logger, cancellationToken)));

    private static async Task CompleteAsync(IStatelessResource resource, string globalId, bool commit, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            _ = commit
                ? await resource.CommitPreparedAsync(globalId, cancellationToken).ConfigureAwait(false)
                : await resource.RollbackPreparedAsync(globalId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            TransactionsLog.StatelessCompletionDeferred(logger, commit ? "commit" : "roll back", globalId, resource.Name, ex);
        }
    }
}
