namespace DataPatterns.Cqrs.Npgsql;

/// <summary>How an outbox append wakes the projection runners.</summary>
public enum OutboxNotification
{
    /// <summary><c>NOTIFY</c> in the append's transaction: delivered when it commits. The default.</summary>
    InTransaction,

    /// <summary>
    /// No <c>NOTIFY</c> in the transaction, because it will be prepared (two-phase commit) and PostgreSQL refuses
    /// <c>PREPARE TRANSACTION</c> after <c>NOTIFY</c>. Call <see cref="NpgsqlOutbox.NotifyReadersAsync"/> after the commit.
    /// </summary>
    AfterCommit,
}
