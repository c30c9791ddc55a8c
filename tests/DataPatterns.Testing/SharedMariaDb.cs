namespace DataPatterns.Testing;

/// <summary>
/// Kills and restarts one of the shared MariaDB servers of eng/services.sh by its name (<c>galera2</c>, <c>node2</c>, ...),
/// with the option file the script wrote. Only for tests whose server comes back on its own (a Galera node rejoins by IST);
/// a test that changes a server's role uses a <see cref="PrivateMariaDb"/>. Restart what you kill before the test ends.
/// </summary>
public static class SharedMariaDb
{
    /// <summary>SIGKILLs the named server and waits until its process is gone.</summary>
    public static Task KillAsync(string name, CancellationToken cancellationToken = default) =>
        MariaDbProcess.KillAsync(Path.Combine(TestServers.MariaDbDirectory, name + ".pid"), cancellationToken);

    /// <summary>Starts the named server again with its option file and waits until it accepts a login.</summary>
    public static Task StartAsync(string name, TestServer server, CancellationToken cancellationToken = default) =>
        (Task)MariaDbProcess.StartAsync(Path.Combine(TestServers.MariaDbDirectory, name + ".cnf"), server, [], cancellationToken);
}
