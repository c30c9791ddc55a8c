using System.Data.Common;

namespace DataPatterns.Samples.Shop.Postgres;

/// <summary>Commands on the routed connections, which are plain <see cref="DbConnection"/>s (the router picks the server).</summary>
internal static class ShopSql
{
    /// <summary>A command with positional parameters (<c>$1</c>, <c>$2</c>, ...).</summary>
    public static DbCommand Command(DbConnection connection, string sql, params object[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var value in values)
        {
            var parameter = command.CreateParameter();
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
