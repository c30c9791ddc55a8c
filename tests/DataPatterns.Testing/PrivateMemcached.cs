using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace DataPatterns.Testing;

/// <summary>
/// A memcached server of a test's own on a free loopback port, for tests that kill, pause or restart it (the shared
/// ones from eng/services.sh serve every test project at once). Signals go to its own pid, never by name.
/// </summary>
public sealed class PrivateMemcached : IAsyncDisposable
{
    private readonly string _itemSize;
    private readonly bool _disableFlushAll;
    private Process? _process;

    private PrivateMemcached(int port, string itemSize, bool disableFlushAll = false)
    {
        Port = port;
        _itemSize = itemSize;
        _disableFlushAll = disableFlushAll;
        Server = new TestServer("private-memcached", TestServerKind.Memcached, "(private)", $"127.0.0.1:{port}");
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>"127.0.0.1:port".</summary>
    public string Address => Server.ConnectionString;

    /// <summary>The server as a <see cref="TestServer"/>.</summary>
    public TestServer Server { get; }

    /// <summary>The process id while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts a new empty memcached (<c>-I</c> <paramref name="itemSize"/>) and waits until it answers.</summary>
    public static Task<PrivateMemcached> StartNewAsync(string itemSize = "1m", CancellationToken cancellationToken = default) =>
        StartNewAsync(itemSize, disableFlushAll: false, cancellationToken);

    /// <summary>
    /// Starts a new empty memcached (<c>-I</c> <paramref name="itemSize"/>; with <c>-F</c>, which refuses
    /// <c>flush_all</c>, when <paramref name="disableFlushAll"/>) and waits until it answers.
    /// </summary>
    public static async Task<PrivateMemcached> StartNewAsync(string itemSize, bool disableFlushAll, CancellationToken cancellationToken = default)
    {
        // A free port can be taken before memcached binds it: then it exits, and a new port is tried.
        for (var attempt = 1; ; attempt++)
        {
            var memcached = new PrivateMemcached(FreePort.Next(), itemSize, disableFlushAll);
            try
            {
                await memcached.StartAsync(cancellationToken);
                return memcached;
            }
            catch (ServerUnavailableException) when (attempt < 3 && memcached._process is { HasExited: true })
            {
            }
        }
    }

    /// <summary>Starts the server (again, empty) on the same port and waits until it answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        var startInfo = new ProcessStartInfo("memcached") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var arguments = new List<string> { "-l", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "0", "-m", "64", "-I", _itemSize };
        if (_disableFlushAll)
        {
            arguments.Add("-F");
        }

        if (ProcessRunner.IsRoot)
        {
            arguments.AddRange(["-u", "root"]);
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        _process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start memcached (is it installed? eng/services.sh up installs it).");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        try
        {
            while (true)
            {
                try
                {
                    await PingAsync(Server, cancellationToken);
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
            await KillAsync();
            throw;
        }
    }

    /// <summary>Sends <c>mn</c> to <paramref name="server"/> and expects <c>MN</c>.</summary>
    /// <exception cref="ServerUnavailableException">It does not answer so.</exception>
    public static async Task PingAsync(TestServer server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var colon = server.ConnectionString.LastIndexOf(':');
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(server.ConnectionString[..colon], int.Parse(server.ConnectionString[(colon + 1)..], CultureInfo.InvariantCulture), timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("mn\r\n"u8.ToArray(), timeout.Token);
            var answer = new byte[4];
            var read = 0;
            while (read < 4)
            {
                var n = await stream.ReadAsync(answer.AsMemory(read), timeout.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (Encoding.ASCII.GetString(answer, 0, read) != "MN\r\n")
            {
                throw new IOException($"memcached answered '{Encoding.ASCII.GetString(answer, 0, read)}' to mn");
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            throw new ServerUnavailableException(server, ex);
        }
    }

    /// <summary>Kills the server with SIGKILL (its own pid) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Pauses the server (SIGSTOP to its own pid): it keeps its connections and answers nothing.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>Resumes a paused server (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        var process = _process is { HasExited: false } running ? running : throw new InvalidOperationException("The private memcached is not running.");
        await ProcessRunner.RunAsync("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)], asPostgresUser: false, CancellationToken.None);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await ResumeAsync(); // a paused process dies of SIGKILL too, but is not left stopped if the kill fails
        }

        await KillAsync();
        _process?.Dispose();
    }
}
