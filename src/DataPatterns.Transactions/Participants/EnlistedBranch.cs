namespace DataPatterns.Transactions;

/// <summary>A participant with its global id and its progress through the protocol.</summary>
internal sealed class EnlistedBranch(ITransactionParticipant participant, string globalId)
{
    private int _released;

    public ITransactionParticipant Participant { get; } = participant;

    /// <summary>Set at enlistment; stateless commit replaces it at commit with the id that names every participant.</summary>
    public string GlobalId { get; set; } = globalId;

    public string ResourceName => Participant.ResourceName;

    public bool PrepareStarted { get; set; }

    /// <summary>The participant's own prepare call (stateless commit waits for it, bounded, before asking what happened).</summary>
    public Task? Preparing { get; set; }

    public PrepareVote? Vote { get; set; }

    public Exception? Failure { get; set; }

    public bool PhaseTwoPending { get; set; }

    /// <summary>Disposes the participant once, when its branch is finished.</summary>
    public async ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0 && Participant is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }
}
