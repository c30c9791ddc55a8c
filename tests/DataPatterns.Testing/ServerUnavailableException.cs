namespace DataPatterns.Testing;

/// <summary>
/// A test needs a server that does not answer. Integration tests never skip: in CI this fails the run,
/// and on a developer machine the message says how to start the servers.
/// </summary>
public sealed class ServerUnavailableException : Exception
{
    /// <summary>Creates the exception for <paramref name="server"/>.</summary>
    public ServerUnavailableException(TestServer server, Exception innerException)
        : base(BuildMessage(server, innerException), innerException)
    {
        Server = server;
    }

    /// <summary>The server that did not answer.</summary>
    public TestServer Server { get; }

    private static string BuildMessage(TestServer server, Exception inner) =>
        $"The {server.Kind} server '{server.Name}' did not answer at '{server.ConnectionString}': {inner.Message}. "
        + (TestServers.IsCi
            ? "CI=true, so an unreachable server fails the run: eng/test.sh must start it with eng/services.sh up."
            : $"Start the test servers with 'eng/services.sh up' (and 'eval \"$(eng/services.sh env)\"'), or point {server.EnvironmentVariable} at your own server.");
}
