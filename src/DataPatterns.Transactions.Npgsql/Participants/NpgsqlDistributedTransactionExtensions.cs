using System.Data;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>Enlists PostgreSQL branches by resource name.</summary>
public static class NpgsqlDistributedTransactionExtensions
{
    /// <summary>
    /// Begins a branch on the <see cref="NpgsqlTransactionResource"/> registered as <paramref name="resourceName"/> and
    /// enlists it in <paramref name="transaction"/>.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No resource has that name.</exception>
    /// <exception cref="InvalidOperationException">The resource is not a PostgreSQL resource.</exception>
    public static ValueTask<NpgsqlTransactionBranch> EnlistNpgsqlAsync(this DistributedTransaction transaction, string resourceName, CancellationToken cancellationToken = default) =>
        EnlistNpgsqlAsync(transaction, resourceName, IsolationLevel.ReadCommitted, cancellationToken);

    /// <summary>As <see cref="EnlistNpgsqlAsync(DistributedTransaction, string, CancellationToken)"/>, with an isolation level.</summary>
    public static ValueTask<NpgsqlTransactionBranch> EnlistNpgsqlAsync(this DistributedTransaction transaction, string resourceName, IsolationLevel isolationLevel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return transaction.Coordinator.GetResource(resourceName) is NpgsqlTransactionResource resource
            ? resource.BeginBranchAsync(transaction, isolationLevel, cancellationToken)
            : throw new InvalidOperationException($"The resource '{resourceName}' is not a PostgreSQL resource; register it with UseNpgsql(\"{resourceName}\", ...).");
    }
}
