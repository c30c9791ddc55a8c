using System.Diagnostics;
using System.Globalization;

namespace DataPatterns.Testing;

/// <summary>
/// A Redis server of a test's own on a free loopback port, for tests that stop or kill Redis
/// (the shared one from eng/services.sh serves every test project at once). Removed on dispose.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _directory;
    private readonly IReadOnlyList<string> _settings;
    private Process? _process;

    private PrivateRedis(string directory, int port, IReadOnlyList<string> settings)
    {
        _directory = directory;
        _settings = settings;
        Port = port;
        Server = new TestServer("private-redis", TestServerKind.Redis, "(private)", $"127.0.0.1:{port}");
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => Server.ConnectionString;

    /// <summary>The server as a <see cref="TestServer"/>.</summary>
    public TestServer Server { get; }

    /// <summary>Starts a new empty Redis server that persists nothing (<c>--save "" --appendonly no</c>).</summary>
    public static Task<PrivateRedis> StartNewAsync(CancellationToken cancellationToken = default) =>
        StartNewAsync([], cancellationToken);

    /// <summary>
    /// Starts a new empty Redis server with <paramref name="settings"/> added to its command line after the defaults
    /// (<c>--save "" --appendonly no</c>), which they override: e.g. <c>["--appendonly", "yes", "--appendfsync", "always"]</c>.
    /// <see cref="StartAsync"/> after <see cref="KillAsync"/> restarts it from its files with the same settings.
    /// </summary>
    public static async Task<PrivateRedis> StartNewAsync(IReadOnlyList<string> settings, CancellationToken cancellationToken = default)
    {
        var services = Environment.GetEnvironmentVariable("DATAPATTERNS_SERVICES_DIR") is { Length: > 0 } dir ? dir : "/tmp/datapatterns-services";
        var directory = Path.Combine(services, "private", $"redis-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        // A free port can be taken (by any connection's local end) before redis-server binds it: then it exits, and a
        // new port is tried.
        for (var attempt = 1; ; attempt++)
        {
            var redis = new PrivateRedis(directory, FreePort.Next(), settings);
            try
            {
                await redis.StartAsync(cancellationToken);
                return redis;
            }
            catch (ServerUnavailableException) when (attempt < 3 && redis._process is { HasExited: true })
            {
            }
        }
    }

    /// <summary>Starts the server (again) on the same port and waits until it answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        var startInfo = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--dir", _directory, "--save", "", "--appendonly", "no" }.Concat(_settings))
        {
            startInfo.ArgumentList.Add(argument);
        }

        _process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start redis-server (is it installed? eng/services.sh up installs it).");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Every test project runs at once, some starting servers of their own: on two cores a start can take seconds.
        var deadline = DateTime.UtcNow.AddSeconds(45);
        try
        {
            while (true)
            {
                try
                {
                    await using var connection = await ServerConnections.ConnectRedisAsync(Server);
                    return;
                }
                catch (ServerUnavailableException) when (DateTime.UtcNow < deadline && !_process.HasExited)
                {
                    await Task.Delay(50, cancellationToken);
                }
            }
        }
        catch
        {
            await KillAsync(); // a server that never answered is not left running
            throw;
        }
    }

    /// <summary>
    /// Starts a replica of <paramref name="primary"/> (<c>--replicaof</c>, plus <paramref name="settings"/>) in a folder of
    /// its own and waits until the primary reports it connected and in step.
    /// </summary>
    public static async Task<PrivateRedis> StartReplicaAsync(PrivateRedis primary, IReadOnlyList<string>? settings = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        var replica = await StartNewAsync(
            ["--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture), .. settings ?? []], cancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await primary.InfoAsync("replication", cancellationToken)).Contains("state=online", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                await replica.DisposeAsync();
                throw new InvalidOperationException($"The replica on port {replica.Port} did not come online with its primary on port {primary.Port} within 30 s.");
            }

            await Task.Delay(50, cancellationToken);
        }

        return replica;
    }

    /// <summary>The server's INFO <paramref name="section"/> as text (through redis-cli).</summary>
    public Task<string> InfoAsync(string section, CancellationToken cancellationToken = default) =>
        ProcessRunner.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "INFO", section], asPostgresUser: false, cancellationToken);

    /// <summary>Kills the server with SIGKILL.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // eng/services.sh down deletes the whole folder.
        }
    }
}
