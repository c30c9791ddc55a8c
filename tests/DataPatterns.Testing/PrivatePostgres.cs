using System.Globalization;
using Npgsql;

namespace DataPatterns.Testing;

/// <summary>
/// A PostgreSQL server of a test's own, on a free loopback port, for tests that stop, kill or promote
/// a server: the shared servers of eng/services.sh serve every test project at once and must never go away.
/// Made with the same binaries and settings as eng/services.sh; deleted on dispose.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _logFile;

    private PrivatePostgres(string name, string dataDirectory, int port)
    {
        Name = name;
        DataDirectory = dataDirectory;
        Port = port;
        _logFile = dataDirectory + ".log";
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
        Server = new TestServer(name, TestServerKind.PostgreSql, "(private)", ConnectionString);
    }

    /// <summary>A name for messages.</summary>
    public string Name { get; }

    /// <summary>The server's data folder.</summary>
    public string DataDirectory { get; }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>A connection string to its <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    /// <summary>The server as a <see cref="TestServer"/>, for the helpers in <see cref="ServerConnections"/>.</summary>
    public TestServer Server { get; }

    private static string BinDirectory =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_PG_BIN") is { Length: > 0 } dir ? dir : "/usr/lib/postgresql/15/bin";

    private static string RootDirectory
    {
        get
        {
            var services = Environment.GetEnvironmentVariable("DATAPATTERNS_SERVICES_DIR") is { Length: > 0 } dir ? dir : "/tmp/datapatterns-services";
            return Path.Combine(services, "private");
        }
    }

    /// <summary>Creates and starts a new independent server (a primary).</summary>
    public static async Task<PrivatePostgres> StartNewAsync(string name, CancellationToken cancellationToken = default)
    {
        var server = Allocate(name);
        await ProcessRunner.RunAsync(
            Path.Combine(BinDirectory, "initdb"),
            ["-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
            asPostgresUser: true,
            cancellationToken);
        await File.AppendAllTextAsync(Path.Combine(server.DataDirectory, "postgresql.conf"), Settings(server.DataDirectory), cancellationToken);
        await server.StartAsync(cancellationToken);
        return server;
    }

    /// <summary>Creates and starts a streaming replica of this server (<c>pg_basebackup -R</c>).</summary>
    public async Task<PrivatePostgres> StartReplicaAsync(string name, CancellationToken cancellationToken = default)
    {
        var replica = Allocate(name);
        await ProcessRunner.RunAsync(
            Path.Combine(BinDirectory, "pg_basebackup"),
            ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-D", replica.DataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync"],
            asPostgresUser: true,
            cancellationToken);
        // The copied settings name the primary's socket folder; the replica gets its own.
        await File.AppendAllTextAsync(Path.Combine(replica.DataDirectory, "postgresql.conf"), Settings(replica.DataDirectory), cancellationToken);
        await replica.StartAsync(cancellationToken);
        return replica;
    }

    /// <summary>Starts the server (again) and waits until it accepts connections.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        PgCtlAsync(["start", "-w", "-t", "60", "-l", _logFile, "-o", $"-p {Port}"], cancellationToken);

    /// <summary>
    /// Starts the server again after <see cref="KillAsync"/>: the killed postmaster's children notice its death and exit
    /// within moments, and until they have, the old shared memory is in use and a start is refused; so it is tried again.
    /// </summary>
    public async Task StartAfterKillAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync(cancellationToken);
                return;
            }
            catch (InvalidOperationException) when (attempt < 40)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }

    /// <summary>Stops the server: <paramref name="immediate"/> is a crash (no checkpoint), otherwise a fast clean shutdown.</summary>
    public Task StopAsync(bool immediate = true, CancellationToken cancellationToken = default) =>
        PgCtlAsync(["stop", "-m", immediate ? "immediate" : "fast", "-w", "-t", "60"], cancellationToken);

    /// <summary>Kills the postmaster with SIGKILL, as a machine that vanished would.</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        var pid = int.Parse((await File.ReadAllLinesAsync(pidFile, cancellationToken))[0], CultureInfo.InvariantCulture);
        await ProcessRunner.RunAsync("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)], asPostgresUser: false, cancellationToken);

        // kill returns once the signal is sent; until the postmaster is gone its socket may still accept a connection.
        for (var i = 0; i < 500 && Directory.Exists($"/proc/{pid}"); i++)
        {
            await Task.Delay(10, cancellationToken);
        }

        NpgsqlConnection.ClearAllPools(); // the connection-string pools; a test's own NpgsqlDataSource clears its own
    }

    /// <summary>Promotes this standby to a primary and waits until it accepts writes.</summary>
    public Task PromoteAsync(CancellationToken cancellationToken = default) =>
        PgCtlAsync(["promote", "-w", "-t", "60"], cancellationToken);

    /// <summary>True when the server accepts a connection now.</summary>
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

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await StopAsync(immediate: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone (a test killed it and left the stale pid file): nothing to stop.
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            TryDelete(DataDirectory);
            TryDelete(_logFile);
        }
    }

    private static PrivatePostgres Allocate(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Directory.CreateDirectory(RootDirectory);
        if (ProcessRunner.IsRoot && !OperatingSystem.IsWindows())
        {
            // The postgres user must be able to create its data folder here.
            File.SetUnixFileMode(RootDirectory, (UnixFileMode)0x1FF | UnixFileMode.StickyBit);
        }

        var dataDirectory = Path.Combine(RootDirectory, $"{name}-{Guid.NewGuid():N}");
        return new PrivatePostgres(name, dataDirectory, FreePort.Next());
    }

    private static string Settings(string dataDirectory) => $"""

        # --- DataPatterns private test server ---
        listen_addresses = '127.0.0.1'
        unix_socket_directories = '{Path.GetDirectoryName(dataDirectory)}'
        max_connections = 100
        max_prepared_transactions = 100
        wal_level = replica
        max_wal_senders = 10
        hot_standby = on
        wal_keep_size = '64MB'
        shared_buffers = '32MB'

        """;

    private async Task PgCtlAsync(string[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            await ProcessRunner.RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, .. arguments], asPostgresUser: true, cancellationToken);
        }
        finally
        {
            // Pooled connections to a server that stopped are dead; later opens must not receive them.
            NpgsqlConnection.ClearAllPools();
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // eng/services.sh down deletes the whole folder; a leftover here costs only disk.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above: files owned by the postgres user when the tests do not run as root.
        }
    }
}
