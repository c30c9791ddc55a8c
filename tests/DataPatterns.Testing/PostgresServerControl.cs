using System.Diagnostics;

namespace DataPatterns.Testing;

/// <summary>
/// Stops, starts and promotes the PostgreSQL servers that eng/services.sh started, for fault tests
/// (a shard that dies, a primary that fails over). Runs <c>pg_ctl</c> as the postgres user when the
/// tests run as root, exactly as the script does. A test that stops a server starts it again before it ends.
/// </summary>
public static class PostgresServerControl
{
    private static string ServicesDirectory =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_SERVICES_DIR") is { Length: > 0 } dir ? dir : "/tmp/datapatterns-services";

    private static string BinDirectory =>
        Environment.GetEnvironmentVariable("DATAPATTERNS_PG_BIN") is { Length: > 0 } dir ? dir : "/usr/lib/postgresql/15/bin";

    /// <summary>The data folder of <paramref name="server"/> under the services folder.</summary>
    public static string DataDirectory(TestServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Path.Combine(ServicesDirectory, "pg", server.Name);
    }

    /// <summary>Stops the server at once (<c>pg_ctl stop -m immediate</c>), as a crash would.</summary>
    public static Task StopAsync(TestServer server, CancellationToken cancellationToken = default) =>
        PgCtlAsync(server, ["stop", "-m", "immediate", "-w", "-t", "30"], cancellationToken);

    /// <summary>Starts the server on its port and waits until it accepts connections.</summary>
    public static Task StartAsync(TestServer server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var port = new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString).Port;
        var log = Path.Combine(ServicesDirectory, "pg", server.Name + ".log");
        return PgCtlAsync(server, ["start", "-w", "-t", "30", "-l", log, "-o", $"-p {port}"], cancellationToken);
    }

    /// <summary>Promotes a standby to primary (<c>pg_ctl promote</c>) and waits for it.</summary>
    public static Task PromoteAsync(TestServer server, CancellationToken cancellationToken = default) =>
        PgCtlAsync(server, ["promote", "-w", "-t", "30"], cancellationToken);

    private static async Task PgCtlAsync(TestServer server, string[] arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var pgCtl = Path.Combine(BinDirectory, "pg_ctl");
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Environment.UserName == "root")
        {
            startInfo.FileName = "runuser";
            foreach (var prefix in new[] { "-u", "postgres", "--", pgCtl })
            {
                startInfo.ArgumentList.Add(prefix);
            }
        }
        else
        {
            startInfo.FileName = pgCtl;
        }

        startInfo.ArgumentList.Add("-D");
        startInfo.ArgumentList.Add(DataDirectory(server));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {pgCtl}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        // Pooled connections to a server that was stopped are dead; later opens must not receive them.
        Npgsql.NpgsqlConnection.ClearAllPools();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"pg_ctl {string.Join(' ', arguments)} for '{server.Name}' exited with {process.ExitCode}: {await output} {await error}");
        }
    }
}
