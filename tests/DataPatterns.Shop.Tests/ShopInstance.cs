using System.Text.RegularExpressions;
using DataPatterns.Testing;

namespace DataPatterns.Shop.Tests;

/// <summary>
/// The Shop as a user runs it: <c>dotnet Shop.dll</c> in a process of its own, on a free loopback port, answering real
/// HTTP. Embedded unless the arguments say <c>--services</c>; its decision log lives in a folder of its own.
/// </summary>
internal sealed partial class ShopInstance : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly DirectoryInfo _data;

    private ShopInstance(ChildProcess process, DirectoryInfo data, Uri url)
    {
        _process = process;
        _data = data;
        Url = url;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Where it listens.</summary>
    public Uri Url { get; }

    /// <summary>A client for it.</summary>
    public HttpClient Http { get; }

    /// <summary>What it printed so far (its log included).</summary>
    public string Transcript => _process.Transcript;

    /// <summary>Starts the Shop with <paramref name="arguments"/> and waits until it says where it listens.</summary>
    public static async Task<ShopInstance> StartAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var data = Directory.CreateTempSubdirectory("datapatterns-shop-tests-");
        var process = ChildProcess.StartDotnet("Shop.dll", [$"--urls=http://127.0.0.1:{FreePort.Next()}", $"--data={data.FullName}", .. arguments], environment);
        try
        {
            var line = await process.WaitForLineAsync("Shop listening on ", TimeSpan.FromSeconds(180));
            return new ShopInstance(process, data, new Uri(ListeningUrl().Match(line).Groups[1].Value));
        }
        catch
        {
            await process.DisposeAsync();
            data.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>Starts the Shop expecting it to refuse to start; returns what it printed and its exit code.</summary>
    public static async Task<(int ExitCode, string Transcript)> FailToStartAsync(IEnumerable<string> arguments)
    {
        var data = Directory.CreateTempSubdirectory("datapatterns-shop-tests-");
        await using var process = ChildProcess.StartDotnet("Shop.dll", [$"--urls=http://127.0.0.1:{FreePort.Next()}", $"--data={data.FullName}", .. arguments]);
        try
        {
            var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(120));
            return (exitCode, process.Transcript);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    /// <summary>Kills the process with SIGKILL, as a machine that vanished would (its data folder goes on dispose).</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
        _data.Delete(recursive: true);
    }

    [GeneratedRegex(@"^Shop listening on (http://[^ ,]+)")]
    private static partial Regex ListeningUrl();
}
