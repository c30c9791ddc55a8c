using System.Data;

namespace DataPatterns.Transactions;

/// <summary>
/// A resource that opens branches on ADO.NET connections (<see cref="IDbTransactionBranch"/>): what lets a
/// provider-neutral integration, such as a DbContext enlisted in a distributed transaction, use any database client.
/// </summary>
public interface IDbTransactionResource : ITransactionResource
{
    /// <summary>
    /// Opens a connection and begins a local transaction on it, without enlisting it: enlist the branch (or a wrapper
    /// around it) with <see cref="DistributedTransaction.Enlist"/>. Until it is enlisted, the caller disposes it.
    /// </summary>
    /// <param name="isolationLevel">The local transaction's isolation level.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The branch, with its connection open and its transaction begun.</returns>
    ValueTask<IDbTransactionBranch> OpenDbBranchAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken);
}
