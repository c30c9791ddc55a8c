using System.Globalization;
using Npgsql;

namespace DataPatterns.Testing;

/// <summary>
/// A database of its own on one test server, so test classes never see each other's tables.
/// Dropped (with its connections) on dispose. Made on the primary, it also appears on the replica.
/// </summary>
public sealed class TemporaryDatabase : IAsyncDisposable
{
    private TemporaryDatabase(TestServer server, string name, string connectionString)
    {
        Server = server;
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The server the database lives on.</summary>
    public TestServer Server { get; }

    /// <summary>The database name (lower case, safe to put in SQL unquoted).</summary>
    public string Name { get; }

    /// <summary>A connection string to this database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates a uniquely named database on <paramref name="server"/>.</summary>
    public static async Task<TemporaryDatabase> CreateAsync(TestServer server, string purpose, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        var safePurpose = new string(purpose.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').Take(26).ToArray());
        var name = string.Create(CultureInfo.InvariantCulture, $"dp_{safePurpose}_{Guid.NewGuid():N}"); // at most 62 of PostgreSQL's 63 characters

        await using (var connection = await ServerConnections.OpenPostgresAsync(server, cancellationToken))
        await using (var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
        return new TemporaryDatabase(server, name, connectionString);
    }

    /// <summary>The connection string of the same database on another server (the replica of the primary).</summary>
    public string ConnectionStringOn(TestServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = Name }.ConnectionString;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = await ServerConnections.OpenPostgresAsync(Server);
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (ServerUnavailableException)
        {
            // A test that stopped this server restarts it; if it could not, eng/services.sh down removes the data anyway.
        }
    }
}
