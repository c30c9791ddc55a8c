using DataPatterns.Transactions.MySql;
using MySqlConnector;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs MariaDB (MySQL) XA into <c>AddTwoPhaseCommit</c>.</summary>
public static class MySqlTwoPhaseCommitBuilderExtensions
{
    /// <summary>Registers the MariaDB database at <paramref name="connectionString"/> as the resource <paramref name="name"/> (connections get <c>AutoEnlist=false</c>).</summary>
    public static TwoPhaseCommitBuilder UseMySql(this TwoPhaseCommitBuilder builder, string name, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.AddResource(_ => MySqlTransactionResource.Create(name, connectionString));
    }

    /// <summary>Registers <paramref name="dataSource"/> (whose connection string must say <c>AutoEnlist=false</c>) as the resource <paramref name="name"/>.</summary>
    public static TwoPhaseCommitBuilder UseMySql(this TwoPhaseCommitBuilder builder, string name, MySqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddResource(new MySqlTransactionResource(name, dataSource));
    }

    /// <summary>Keeps the commit decisions in a MariaDB table instead of the embedded file.</summary>
    public static TwoPhaseCommitBuilder UseMySqlDecisionLog(this TwoPhaseCommitBuilder builder, string connectionString, string tableName = "datapatterns_2pc_decisions")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseDecisionLog(_ => MySqlDecisionLog.Create(connectionString, tableName));
    }
}
