using DataPatterns.Transactions.Npgsql;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Plugs PostgreSQL into <c>AddTwoPhaseCommit</c>.</summary>
public static class NpgsqlTwoPhaseCommitBuilderExtensions
{
    /// <summary>Registers the PostgreSQL database at <paramref name="connectionString"/> as the resource <paramref name="name"/> (connections get <c>Enlist=false</c>).</summary>
    public static TwoPhaseCommitBuilder UseNpgsql(this TwoPhaseCommitBuilder builder, string name, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.AddResource(_ => NpgsqlTransactionResource.Create(name, connectionString));
    }

    /// <summary>Registers <paramref name="dataSource"/> (whose connection string must say <c>Enlist=false</c>) as the resource <paramref name="name"/>.</summary>
    public static TwoPhaseCommitBuilder UseNpgsql(this TwoPhaseCommitBuilder builder, string name, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var resource = new NpgsqlTransactionResource(name, dataSource);
        return builder.AddResource(resource);
    }

    /// <summary>Keeps the commit decisions in a PostgreSQL table instead of the embedded file.</summary>
    public static TwoPhaseCommitBuilder UseNpgsqlDecisionLog(this TwoPhaseCommitBuilder builder, string connectionString, string tableName = "datapatterns_2pc_decisions")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseDecisionLog(_ => NpgsqlDecisionLog.Create(connectionString, tableName));
    }
}
