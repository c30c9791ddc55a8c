using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>A MariaDB server and database, to tell whether a decision log and a resource share a database.</summary>
internal readonly record struct MariaDbLocation(string Host, uint Port, string Database)
{
    public static MariaDbLocation Of(MySqlConnectionStringBuilder settings) => new(
        (settings.Server ?? string.Empty).ToLowerInvariant(),
        settings.Port,
        (settings.Database ?? string.Empty).ToLowerInvariant());

    /// <summary>As messages name it: <c>host:port/database</c>.</summary>
    public override string ToString() => $"{Host}:{Port}/{Database}";
}
