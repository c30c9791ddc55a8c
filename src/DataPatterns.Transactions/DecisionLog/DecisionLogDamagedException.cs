namespace DataPatterns.Transactions;

/// <summary>
/// The decision log holds data it cannot read that is not a torn last append: a damaged record with readable records
/// after it, a complete record whose checksum fails, a field out of range, a damaged header, or (for a table) a row that
/// does not make sense. The log refuses to start rather than guess, and leaves the data as it found it: a commit decision
/// lost silently would let recovery roll back branches of a transaction that committed elsewhere. Restore the log from a
/// backup, or salvage it (<see cref="FileDecisionLog.Salvage"/>, or <see cref="TwoPhaseCommitOptions.SalvageDecisionLog"/>
/// for one start) and resolve by hand the transactions whose decisions could not be read.
/// </summary>
public sealed class DecisionLogDamagedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public DecisionLogDamagedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DecisionLogDamagedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public DecisionLogDamagedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for damage at <paramref name="offset"/> of the log at <paramref name="location"/>.</summary>
    public DecisionLogDamagedException(string location, long offset, int readableDecisionsAfter, Guid? transactionId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Location = location;
        Offset = offset;
        ReadableDecisionsAfter = readableDecisionsAfter;
        TransactionId = transactionId;
    }

    /// <summary>The log: a file's full path, or a table as <c>host:port/database table</c>.</summary>
    public string Location { get; } = string.Empty;

    /// <summary>The byte offset of the first damage in a file; -1 for a table.</summary>
    public long Offset { get; } = -1;

    /// <summary>How many readable commit decisions follow the damage (all of them would be lost by cutting the file there).</summary>
    public int ReadableDecisionsAfter { get; }

    /// <summary>The transaction the damaged record or row seems to belong to, when that can be told.</summary>
    public Guid? TransactionId { get; }
}
