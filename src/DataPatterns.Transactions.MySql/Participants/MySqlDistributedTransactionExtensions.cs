using System.Data;

namespace DataPatterns.Transactions.MySql;

/// <summary>Enlists MariaDB (MySQL) XA branches by resource name.</summary>
public static class MySqlDistributedTransactionExtensions
{
    /// <summary>
    /// Begins an XA branch on the <see cref="MySqlTransactionResource"/> registered as <paramref name="resourceName"/> and
    /// enlists it in <paramref name="transaction"/>.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    /// <exception cref="InvalidOperationException">The resource is not a MariaDB resource.</exception>
    public static ValueTask<MySqlTransactionBranch> EnlistMySqlAsync(this DistributedTransaction transaction, string resourceName, CancellationToken cancellationToken = default) =>
        EnlistMySqlAsync(transaction, resourceName, IsolationLevel.ReadCommitted, cancellationToken);

    /// <summary>As <see cref="EnlistMySqlAsync(DistributedTransaction, string, CancellationToken)"/>, with an isolation level.</summary>
    public static ValueTask<MySqlTransactionBranch> EnlistMySqlAsync(this DistributedTransaction transaction, string resourceName, IsolationLevel isolationLevel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return transaction.Coordinator.GetResource(resourceName) is MySqlTransactionResource resource
            ? resource.BeginBranchAsync(transaction, isolationLevel, cancellationToken)
            : throw new InvalidOperationException($"The resource '{resourceName}' is not a MariaDB resource; register it with UseMySql(\"{resourceName}\", ...).");
    }
}
