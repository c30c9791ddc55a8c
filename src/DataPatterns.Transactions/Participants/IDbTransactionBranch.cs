using System.Data.Common;

namespace DataPatterns.Transactions;

/// <summary>
/// A branch whose work runs on an ADO.NET connection and transaction, so that code written against
/// <see cref="DbConnection"/> (EF Core, Dapper) can do the branch's work without knowing the database client.
/// </summary>
public interface IDbTransactionBranch : ITransactionParticipant
{
    /// <summary>The open connection to run the unit of work on.</summary>
    DbConnection Connection { get; }

    /// <summary>The local transaction the work must run in; null once the branch is prepared or finished.</summary>
    DbTransaction? Transaction { get; }
}
