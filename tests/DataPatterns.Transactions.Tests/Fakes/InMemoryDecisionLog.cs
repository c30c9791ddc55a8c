using System.Collections.Concurrent;

namespace DataPatterns.Transactions.Tests;

/// <summary>A decision log that outlives coordinators (a "disk" shared by a crashed and a fresh process).</summary>
internal sealed class InMemoryDecisionLog : IDecisionLog
{
    private readonly ConcurrentDictionary<Guid, CommitDecision> _decisions = new();

    public bool FailWrites { get; set; }

    public bool FailReads { get; set; }

    public int Records { get; private set; }

    public IReadOnlyCollection<Guid> Open => _decisions.Keys.ToArray();

    public ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        if (FailWrites)
        {
            throw new IOException("disk full");
        }

        Records++;
        _decisions[decision.TransactionId] = decision;
        return ValueTask.CompletedTask;
    }

    public ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        _decisions.TryRemove(transactionId, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken) =>
        FailReads
            ? throw new IOException("the decision log cannot be read")
            : ValueTask.FromResult<IReadOnlyList<CommitDecision>>(_decisions.Values.ToArray());
}
