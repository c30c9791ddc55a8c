using System.Data.Common;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// A write transaction lost a conflict and was rolled back: another node committed a write to the same rows first and
/// this transaction failed certification or was aborted by it (MariaDB error 1213, ER_LOCK_DEADLOCK, "Deadlock found when
/// trying to get lock; try restarting transaction"), possibly after <see cref="Attempts"/> tries. Nothing of the
/// transaction was committed. Retry the WHOLE transaction, re-reading what it read: retrying only the failed statement
/// would act on data the winner has changed. <see cref="IsTransient"/> is true, so retry policies (Polly's
/// <c>ShouldHandle</c> on <see cref="DbException.IsTransient"/>) see it as retryable.
/// </summary>
public sealed class GaleraCertificationConflictException : DbException
{
    /// <summary>Creates the exception.</summary>
    public GaleraCertificationConflictException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened and what to do.</param>
    public GaleraCertificationConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the server's error.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The server's error 1213.</param>
    public GaleraCertificationConflictException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The node the losing transaction ran on, when known.</summary>
    public string? NodeName { get; init; }

    /// <summary>How many times the transaction was tried before giving up (1 when it was not retried).</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>MariaDB's error number, 1213 (ER_LOCK_DEADLOCK).</summary>
    public override int ErrorCode => GaleraConflicts.DeadlockErrorNumber;

    /// <summary>Always true: the same transaction, run again, usually commits.</summary>
    public override bool IsTransient => true;
}
