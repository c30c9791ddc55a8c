using MySqlConnector;
using Npgsql;
using StackExchange.Redis;

namespace DataPatterns.Testing;

/// <summary>Opens connections to the test servers, turning "not there" into a <see cref="ServerUnavailableException"/>.</summary>
public static class ServerConnections
{
    /// <summary>Opens a connection to a PostgreSQL test server.</summary>
    /// <exception cref="ServerUnavailableException">The server does not answer.</exception>
    public static async Task<NpgsqlConnection> OpenPostgresAsync(TestServer server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (server.Kind != TestServerKind.PostgreSql)
        {
            throw new ArgumentException($"'{server.Name}' is a {server.Kind} server, not PostgreSQL.", nameof(server));
        }

        var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Timeout = 5 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync();
            throw new ServerUnavailableException(server, ex);
        }
    }

    /// <summary>Opens a connection to a MariaDB test server.</summary>
    /// <exception cref="ServerUnavailableException">The server does not answer.</exception>
    public static async Task<MySqlConnection> OpenMariaDbAsync(TestServer server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (server.Kind != TestServerKind.MariaDb)
        {
            throw new ArgumentException($"'{server.Name}' is a {server.Kind} server, not MariaDB.", nameof(server));
        }

        var builder = new MySqlConnectionStringBuilder(server.ConnectionString) { ConnectionTimeout = 5 };
        var connection = new MySqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is MySqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync();
            throw new ServerUnavailableException(server, ex);
        }
    }

    /// <summary>Connects a new multiplexer to the Redis test server (the caller disposes it).</summary>
    /// <exception cref="ServerUnavailableException">The server does not answer.</exception>
    public static async Task<ConnectionMultiplexer> ConnectRedisAsync(TestServer? server = null)
    {
        server ??= TestServers.Redis;
        var options = ConfigurationOptions.Parse(server.ConnectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5000;
        options.AllowAdmin = true;
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (RedisConnectionException ex)
        {
            throw new ServerUnavailableException(server, ex);
        }
    }

    /// <summary>Runs one SQL command on a PostgreSQL or MariaDB test server and returns the first column of the first row.</summary>
    public static async Task<object?> ScalarAsync(TestServer server, string sql, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (server.Kind == TestServerKind.MariaDb)
        {
            await using var mariaDb = await OpenMariaDbAsync(server, cancellationToken);
            await using var mariaDbCommand = new MySqlCommand(sql, mariaDb);
            return await mariaDbCommand.ExecuteScalarAsync(cancellationToken);
        }

        await using var connection = await OpenPostgresAsync(server, cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
