using System.Data.Common;
using DataPatterns.Cqrs;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>The outbox's bookkeeping for one context: the save in progress, and events written into an open transaction.</summary>
internal sealed class OutboxSaveState
{
    /// <summary>The events of the save in progress: entity, first event index, count.</summary>
    public List<(IHasOutboxEvents Entity, int From, int Count)>? Saving { get; set; }

    /// <summary>True while a save runs in a transaction the outbox asked EF to begin (its rows go in at commit).</summary>
    public bool OwnsSaveTransaction { get; set; }

    public AutoTransactionBehavior PreviousBehavior { get; set; }

    /// <summary>Set when the rows of the save in progress went in at the commit of the transaction the outbox asked for.</summary>
    public bool WrittenAtCommit { get; set; }

    /// <summary>The application's transaction begun through EF (its commit is seen by the interceptor).</summary>
    public DbTransaction? ApplicationTransaction { get; set; }

    /// <summary>The open transaction the <see cref="Pending"/> events were written into.</summary>
    public DbTransaction? PendingTransaction { get; set; }

    /// <summary>Per entity, how many leading events sit in <see cref="PendingTransaction"/>, not committed yet.</summary>
    public Dictionary<IHasOutboxEvents, int> Pending { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Set when a distributed branch's completion callback is registered for <see cref="PendingTransaction"/>.</summary>
    public bool CompletionRegistered { get; set; }

    /// <summary>The messages of the save in progress, flattened in order.</summary>
    public OutboxMessage[] SavingMessages()
    {
        var saving = Saving!;
        var total = 0;
        foreach (var (_, _, count) in saving)
        {
            total += count;
        }

        var messages = new OutboxMessage[total];
        var at = 0;
        foreach (var (entity, from, count) in saving)
        {
            var events = entity.OutboxEvents;
            for (var i = from; i < from + count; i++)
            {
                messages[at++] = events[i];
            }
        }

        return messages;
    }

    /// <summary>The save's events now sit in <paramref name="transaction"/>: remember them until it ends.</summary>
    public void MovePendingInto(DbTransaction transaction)
    {
        if (!ReferenceEquals(PendingTransaction, transaction))
        {
            ForgetPending();
            PendingTransaction = transaction;
        }

        foreach (var (entity, from, count) in Saving!)
        {
            Pending[entity] = from + count;
        }
    }

    /// <summary>The transaction of <see cref="Pending"/> committed: the events are in the outbox for good.</summary>
    public void CommitPending()
    {
        foreach (var (entity, count) in Pending)
        {
            entity.RemoveOutboxEvents(count);
        }

        ForgetPending();
    }

    /// <summary>The transaction of <see cref="Pending"/> ended without committing: its events must be written again.</summary>
    public void ForgetPending()
    {
        Pending.Clear();
        PendingTransaction = null;
        CompletionRegistered = false;
    }

    public void EndSave()
    {
        Saving = null;
        OwnsSaveTransaction = false;
        WrittenAtCommit = false;
    }
}
