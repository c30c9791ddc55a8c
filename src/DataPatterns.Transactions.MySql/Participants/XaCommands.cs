using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>The XA statements, with the server errors that mean "already settled" told apart from real failures.</summary>
internal static class XaCommands
{
    /// <summary>XAER_NOTA: no branch with that xid (committed or rolled back earlier, or never prepared).</summary>
    public const int UnknownXid = 1397;

    /// <summary>XAER_RMFAIL: the command does not fit the branch's state (e.g. XA END of a branch that is not active).</summary>
    public const int WrongState = 1399;

    /// <summary>
    /// XA_RBROLLBACK: the branch was rolled back. MariaDB does this itself at XA PREPARE for a branch that wrote nothing
    /// (it keeps no prepared state for it), so a later commit or rollback of such a branch has nothing left to do.
    /// </summary>
    public const int RolledBack = 1402;

    /// <summary>XA_RBTIMEOUT and XA_RBDEADLOCK: the branch was rolled back by the server (a lock wait or deadlock).</summary>
    public const int RolledBackTimeout = 1613;

    /// <summary>See <see cref="RolledBackTimeout"/>.</summary>
    public const int RolledBackDeadlock = 1614;

    public static async ValueTask ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>XA COMMIT</c> of a prepared branch. An unknown xid is <see cref="BranchCompletion.NotFound"/> (settled earlier);
    /// <see cref="RolledBack"/> is a read-only branch MariaDB released at prepare, which had nothing to commit.
    /// </summary>
    public static async ValueTask<BranchCompletion> CommitAsync(MySqlConnection connection, MySqlXid xid, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(connection, "XA COMMIT " + xid.SqlLiteral, cancellationToken).ConfigureAwait(false);
            return BranchCompletion.Completed;
        }
        catch (MySqlException ex) when (ex.Number == UnknownXid)
        {
            return BranchCompletion.NotFound;
        }
        catch (MySqlException ex) when (ex.Number == RolledBack)
        {
            return BranchCompletion.Completed;
        }
    }

    /// <summary><c>XA ROLLBACK</c> of a prepared branch; unknown or already rolled back is <see cref="BranchCompletion.NotFound"/>.</summary>
    public static async ValueTask<BranchCompletion> RollbackAsync(MySqlConnection connection, MySqlXid xid, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(connection, "XA ROLLBACK " + xid.SqlLiteral, cancellationToken).ConfigureAwait(false);
            return BranchCompletion.Completed;
        }
        catch (MySqlException ex) when (ex.Number is UnknownXid or RolledBack or RolledBackTimeout or RolledBackDeadlock)
        {
            return BranchCompletion.NotFound;
        }
    }
}
