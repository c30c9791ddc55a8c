using System.Globalization;
using MySqlConnector;

namespace DataPatterns.Testing;

/// <summary>
/// A MariaDB server of a test's own, on a free loopback port, for tests that kill, stop or promote a server (the shared
/// ones serve every test project at once). Same settings as eng/services-mariadb.sh (binlog, GTID, durable commits);
/// runs as the mysql OS user; deleted on dispose.
/// </summary>
public sealed class PrivateMariaDb : IAsyncDisposable
{
    private int? _pid;

    private PrivateMariaDb(string name, string directory, int port, int serverId)
    {
        Name = name;
        DataDirectory = Path.Combine(directory, "data");
        Port = port;
        ServerId = serverId;
        RootDirectory = directory;
        ConnectionString = $"Server=127.0.0.1;Port={port};User ID=root;Password=;Database=datapatterns";
        Server = new TestServer(name, TestServerKind.MariaDb, "(private)", ConnectionString);
    }

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>The server's data folder.</summary>
    public string DataDirectory { get; }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>Its <c>server_id</c> (the middle part of the GTIDs it writes).</summary>
    public int ServerId { get; }

    /// <summary>A connection string to its <c>datapatterns</c> database as root.</summary>
    public string ConnectionString { get; }

    /// <summary>The server as a <see cref="TestServer"/>, for the helpers in <see cref="ServerConnections"/>.</summary>
    public TestServer Server { get; }

    private string RootDirectory { get; }

    private string OptionFile => Path.Combine(RootDirectory, "my.cnf");

    private string PidFile => Path.Combine(RootDirectory, "mariadbd.pid");

    private static string PrivateRoot
    {
        get
        {
            var services = Environment.GetEnvironmentVariable("DATAPATTERNS_SERVICES_DIR") is { Length: > 0 } dir ? dir : "/tmp/datapatterns-services";
            return Path.Combine(services, "private");
        }
    }

    /// <summary>Creates and starts a new independent server (a primary, writable).</summary>
    public static Task<PrivateMariaDb> StartNewAsync(string name, CancellationToken cancellationToken = default) =>
        CreateAsync(name, readOnly: false, cancellationToken);

    /// <summary>Creates and starts a GTID replica of this server (<c>MASTER_USE_GTID = slave_pos</c>, read_only).</summary>
    public async Task<PrivateMariaDb> StartReplicaAsync(string name, CancellationToken cancellationToken = default)
    {
        var replica = await CreateAsync(name, readOnly: true, cancellationToken);
        await replica.ExecuteAsync(
            $"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={Port}, MASTER_USER='root', MASTER_PASSWORD='', " +
            "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;",
            cancellationToken);
        return replica;
    }

    /// <summary>Starts the server again (after <see cref="KillAsync"/>) and waits until it accepts a login.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default) =>
        _pid = await MariaDbProcess.StartAsync(OptionFile, Server, [], cancellationToken);

    /// <summary>Kills mariadbd with SIGKILL, as a machine that vanished would, and waits until it is gone.</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        await MariaDbProcess.KillAsync(PidFile, cancellationToken, _pid);
        _pid = null;
    }

    /// <summary>Makes this replica a writable primary: <c>STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0</c>.</summary>
    public Task PromoteAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0;", cancellationToken);

    /// <summary>True when the server accepts a login now.</summary>
    public async Task<bool> IsUpAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await ServerConnections.ScalarAsync(Server, "SELECT 1", cancellationToken);
            return true;
        }
        catch (ServerUnavailableException)
        {
            return false;
        }
    }

    /// <summary>Runs SQL (several statements allowed) on this server as root.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = await ServerConnections.OpenMariaDbAsync(Server, cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // Already gone.
        }
        finally
        {
            MySqlConnection.ClearAllPools();
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover folder under private/ is removed by eng/services.sh down.
            }
        }
    }

    private static async Task<PrivateMariaDb> CreateAsync(string name, bool readOnly, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Directory.CreateDirectory(PrivateRoot);
        if (ProcessRunner.IsRoot && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(PrivateRoot, (UnixFileMode)0x1FF | UnixFileMode.StickyBit);
        }

        var directory = Path.Combine(PrivateRoot, $"mariadb-{name}-{Guid.NewGuid():N}");
        var server = new PrivateMariaDb(name, directory, FreePort.Next(), Random.Shared.Next(100, 1_000_000));
        await ProcessRunner.RunAsUserAsync("mkdir", ["-p", server.DataDirectory], "mysql", cancellationToken);
        await File.WriteAllTextAsync(server.OptionFile, server.Settings(readOnly), cancellationToken);
        await ProcessRunner.RunAsUserAsync(
            "mariadb-install-db",
            [$"--defaults-file={server.OptionFile}", "--auth-root-authentication-method=normal", "--skip-test-db"],
            "mysql",
            cancellationToken);
        await server.StartAsync(cancellationToken);
        await server.BootstrapAsync(cancellationToken);
        return server;
    }

    // The login over TCP is root@127.0.0.1; mariadb-install-db makes only root@localhost, reachable through the socket.
    private async Task BootstrapAsync(CancellationToken cancellationToken) =>
        await ProcessRunner.RunAsUserAsync(
            "mariadb",
            ["--protocol=socket", "-S", Path.Combine(RootDirectory, "mariadbd.sock"), "-u", "root", "-e",
             "SET SESSION sql_log_bin = 0; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; " +
             "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; " +
             "CREATE DATABASE IF NOT EXISTS datapatterns CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"],
            user: null,
            cancellationToken);

    private string Settings(bool readOnly) => string.Create(CultureInfo.InvariantCulture, $"""
        [mariadbd]
        user = mysql
        datadir = {DataDirectory}
        port = {Port}
        bind-address = 127.0.0.1
        socket = {RootDirectory}/mariadbd.sock
        pid-file = {PidFile}
        log-error = {RootDirectory}/mariadbd.err
        tmpdir = {RootDirectory}
        server_id = {ServerId}
        skip-name-resolve
        character-set-server = utf8mb4
        collation-server = utf8mb4_unicode_ci
        max_connections = 200
        performance_schema = OFF
        innodb_buffer_pool_size = 32M
        innodb_log_file_size = 16M
        innodb_flush_log_at_trx_commit = 1
        innodb_use_native_aio = OFF
        sync_binlog = 1
        log_bin = {RootDirectory}/mariadb-bin
        binlog_format = ROW
        log_slave_updates = ON
        read_only = {(readOnly ? "ON" : "OFF")}

        """);
}
