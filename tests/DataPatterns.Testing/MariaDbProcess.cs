using System.Globalization;
using MySqlConnector;

namespace DataPatterns.Testing;

/// <summary>
/// Starts, kills and waits for one <c>mariadbd</c> described by an option file, as the mysql OS user: the shared servers
/// of eng/services.sh (see <see cref="SharedMariaDb"/>) and a test's own (<see cref="PrivateMariaDb"/>) alike.
/// </summary>
internal static class MariaDbProcess
{
    public static string ServerBinary => File.Exists("/usr/sbin/mariadbd") ? "/usr/sbin/mariadbd" : "mariadbd";

    /// <summary>
    /// Starts mariadbd in the background (it does not daemonize itself), waits until it accepts a login, and returns its
    /// process id (nohup execs mariadbd, so the shell's <c>$!</c> is the server itself).
    /// </summary>
    public static async Task<int> StartAsync(string optionFile, TestServer server, string[] extraArguments, CancellationToken cancellationToken)
    {
        var command = string.Join(' ', new[] { ServerBinary, $"--defaults-file={optionFile}" }.Concat(extraArguments).Select(Quote));
        var output = await ProcessRunner.RunAsUserAsync("bash", ["-c", $"nohup {command} >/dev/null 2>&1 & echo $!"], "mysql", cancellationToken);
        var pid = int.Parse(output.Trim(), CultureInfo.InvariantCulture);
        await WaitUntilUpAsync(server, TimeSpan.FromSeconds(90), cancellationToken);
        return pid;
    }

    /// <summary>
    /// SIGKILLs the server with <paramref name="knownPid"/> (the one a test started) or, without one, the pid in its pid
    /// file, and waits until the process is gone. A pid from the start is preferred: a restarted server may not have
    /// written its pid file yet when a test ends, and a server left running would outlive the test.
    /// </summary>
    public static async Task KillAsync(string pidFile, CancellationToken cancellationToken, int? knownPid = null)
    {
        int pid;
        if (knownPid is { } known)
        {
            pid = known;
        }
        else if (File.Exists(pidFile))
        {
            pid = int.Parse((await File.ReadAllTextAsync(pidFile, cancellationToken)).Trim(), CultureInfo.InvariantCulture);
        }
        else
        {
            return;
        }

        if (!Directory.Exists($"/proc/{pid}"))
        {
            File.Delete(pidFile);
            return;
        }

        await ProcessRunner.RunAsync("kill", ["-9", pid.ToString(CultureInfo.InvariantCulture)], asPostgresUser: false, cancellationToken);
        for (var i = 0; i < 1000 && Directory.Exists($"/proc/{pid}"); i++)
        {
            await Task.Delay(10, cancellationToken);
        }

        // A killed mariadbd leaves its pid file behind; the next start would otherwise read a stale pid.
        File.Delete(pidFile);
        MySqlConnection.ClearAllPools();
    }

    public static async Task WaitUntilUpAsync(TestServer server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await ServerConnections.ScalarAsync(server, "SELECT 1", cancellationToken);
                return;
            }
            catch (ServerUnavailableException ex) when (ex.InnerException is MySqlException { ErrorCode: MySqlErrorCode.HostNotPrivileged or MySqlErrorCode.AccessDenied or MySqlErrorCode.UnknownDatabase })
            {
                // It answers; only the TCP login is not made yet (a new server before its bootstrap).
                return;
            }
            catch (ServerUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
