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

    /// <summary>Starts mariadbd in the background (it does not daemonize itself) and waits until it accepts a login.</summary>
    public static async Task StartAsync(string optionFile, TestServer server, string[] extraArguments, CancellationToken cancellationToken)
    {
        var command = string.Join(' ', new[] { ServerBinary, $"--defaults-file={optionFile}" }.Concat(extraArguments).Select(Quote));
        await ProcessRunner.RunAsUserAsync("bash", ["-c", $"nohup {command} >/dev/null 2>&1 &"], "mysql", cancellationToken);
        await WaitUntilUpAsync(server, TimeSpan.FromSeconds(90), cancellationToken);
    }

    /// <summary>SIGKILLs the server whose pid file is given and waits until the process is gone.</summary>
    public static async Task KillAsync(string pidFile, CancellationToken cancellationToken)
    {
        if (!File.Exists(pidFile))
        {
            return;
        }

        var pid = int.Parse((await File.ReadAllTextAsync(pidFile, cancellationToken)).Trim(), CultureInfo.InvariantCulture);
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
