using MySqlConnector;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>Recognises a lost Galera write conflict in MySqlConnector's exceptions, for code that runs its own transactions.</summary>
public static class GaleraConflicts
{
    /// <summary>ER_LOCK_DEADLOCK: what MariaDB Galera returns for a failed certification or a brute-force abort.</summary>
    public const int DeadlockErrorNumber = 1213;

    /// <summary>
    /// True when <paramref name="exception"/> (or an exception it wraps) says the transaction lost a write conflict and
    /// was rolled back: a Galera certification failure, a brute-force abort by a replicated write, or a local InnoDB
    /// deadlock (the same error, and the same cure: run the whole transaction again).
    /// </summary>
    /// <param name="exception">What a command or commit threw.</param>
    public static bool IsConflict(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is GaleraCertificationConflictException || current is MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Turns a lost conflict into <see cref="GaleraCertificationConflictException"/> (null for any other error), so a
    /// caller's catch or retry policy names the case it handles.
    /// </summary>
    /// <param name="exception">What a command or commit threw.</param>
    /// <param name="nodeName">The node the transaction ran on, when known.</param>
    /// <param name="attempts">How many times the transaction was tried.</param>
    public static GaleraCertificationConflictException? Translate(Exception exception, string? nodeName = null, int attempts = 1)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is GaleraCertificationConflictException already)
        {
            return already;
        }

        if (!IsConflict(exception))
        {
            return null;
        }

        var where = nodeName is null ? "" : $" on node '{nodeName}'";
        var tries = attempts == 1 ? "" : $" (tried {attempts} times)";
        return new GaleraCertificationConflictException(
            $"The write transaction{where} lost a conflict with a concurrent write to the same rows and was rolled back{tries}: "
            + "Galera certification failed, or a replicated write aborted it (error 1213). Nothing of it was committed. Run the whole "
            + "transaction again, re-reading what it read; to avoid the conflict, send the writes of one key to one node (GaleraWriter with a key).",
            exception)
        {
            NodeName = nodeName,
            Attempts = attempts,
        };
    }
}
