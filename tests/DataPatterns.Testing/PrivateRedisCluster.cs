using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace DataPatterns.Testing;

/// <summary>
/// A Redis Cluster of a test's own: three masters (no replicas) on free loopback ports, slots spread by
/// <c>redis-cli --cluster create</c>. Every process is started by this class and killed by its pid on dispose.
/// </summary>
public sealed class PrivateRedisCluster : IAsyncDisposable
{
    private readonly string _directory;
    private readonly List<Process> _processes = [];

    private PrivateRedisCluster(string directory, int[] ports)
    {
        _directory = directory;
        Ports = ports;
    }

    /// <summary>The masters' loopback ports.</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>A StackExchange.Redis configuration string naming every master.</summary>
    public string ConnectionString => string.Join(',', Ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{p}")));

    /// <summary>Starts three empty cluster-mode servers, joins them into one cluster and waits until it is "ok".</summary>
    public static async Task<PrivateRedisCluster> StartNewAsync(int masters = 3, CancellationToken cancellationToken = default)
    {
        var services = Environment.GetEnvironmentVariable("DATAPATTERNS_SERVICES_DIR") is { Length: > 0 } dir ? dir : "/tmp/datapatterns-services";
        var directory = Path.Combine(services, "private", $"redis-cluster-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var cluster = new PrivateRedisCluster(directory, Enumerable.Range(0, masters).Select(_ => FreePort.Next()).ToArray());
        try
        {
            await cluster.StartAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var port in Ports)
        {
            var text = port.ToString(CultureInfo.InvariantCulture);
            var startInfo = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
            {
                "--bind", "127.0.0.1", "--port", text, "--dir", _directory, "--save", "", "--appendonly", "no",
                "--cluster-enabled", "yes", "--cluster-config-file", $"nodes-{text}.conf", "--cluster-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
                "--cluster-node-timeout", "3000",
            })
            {
                startInfo.ArgumentList.Add(argument);
            }

            var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start redis-server (is it installed? eng/services.sh up installs it).");
            _processes.Add(process);
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        foreach (var port in Ports)
        {
            await WaitUntilAsync(port, "PING", reply => reply == "PONG", cancellationToken);
        }

        await ProcessRunner.RunAsync(
            "redis-cli",
            ["--cluster", "create", .. Ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{p}")), "--cluster-yes"],
            asPostgresUser: false,
            cancellationToken);

        foreach (var port in Ports)
        {
            await WaitUntilAsync(port, "CLUSTER INFO", reply => reply.Contains("cluster_state:ok", StringComparison.Ordinal), cancellationToken);
        }
    }

    /// <summary>The port of the master that serves <paramref name="key"/>'s slot.</summary>
    public static async Task<int> MasterOfAsync(IConnectionMultiplexer multiplexer, RedisKey key)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        var endpoint = await multiplexer.GetDatabase().IdentifyEndpointAsync(key);
        return endpoint is System.Net.IPEndPoint ip ? ip.Port : ((System.Net.DnsEndPoint)endpoint!).Port;
    }

    private static async Task WaitUntilAsync(int port, string command, Func<string, bool> done, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await ProcessRunner.RunAsync(
                    "redis-cli", ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. command.Split(' ')], asPostgresUser: false, cancellationToken);
                if (done(last.Trim()))
                {
                    return;
                }
            }
            catch (InvalidOperationException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new InvalidOperationException($"Redis cluster node 127.0.0.1:{port} did not answer '{command}' as expected within 30 s; last reply: {last}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            process.Dispose();
        }

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
