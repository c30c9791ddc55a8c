using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace DataPatterns.Testing;

/// <summary>
/// A test-host program run as a separate process, for crash tests: start it, wait for the line it prints at the
/// chosen protocol step, then <see cref="KillAsync"/> it with SIGKILL (kill -9) and let a fresh process check the outcome.
/// A test-host is a small console project referenced by the test project (its .dll lands beside the tests and runs
/// through <c>dotnet</c>).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _transcript = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Everything the child printed so far (stdout and stderr), for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return _transcript.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>dotnet &lt;assemblyFileName&gt; args</c>, where the assembly sits beside the running tests.
    /// Environment variables of the tests (the DATAPATTERNS_* connection strings) pass through.
    /// </summary>
    public static ChildProcess StartDotnet(string assemblyFileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(assemblyFileName);
        ArgumentNullException.ThrowIfNull(arguments);
        var assemblyPath = Path.Combine(AppContext.BaseDirectory, assemblyFileName);
        if (!File.Exists(assemblyPath))
        {
            throw new FileNotFoundException($"The test-host '{assemblyFileName}' is not beside the tests; add a ProjectReference to its project.", assemblyPath);
        }

        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        startInfo.ArgumentList.Add(assemblyPath);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                startInfo.Environment[name] = value;
            }
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet.");
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, isError: true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until the child prints a line that starts with <paramref name="prefix"/> and returns that line.</summary>
    /// <exception cref="TimeoutException">Not printed within <paramref name="timeout"/>, or the child exited first.</exception>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cancellation.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"The child process did not print '{prefix}' within {timeout}. It printed:\n{Transcript}");
        }

        throw new TimeoutException($"The child process exited (code {ExitCodeOrNull()}) before printing '{prefix}'. It printed:\n{Transcript}");
    }

    /// <summary>Writes a line to the child's standard input (to tell it to go on to the next step).</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Kills the child with SIGKILL: no finally blocks, no flush, no shutdown hooks run.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for the child to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The child process did not exit within {timeout}. It printed:\n{Transcript}");
        }

        return _process.ExitCode;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void OnLine(string? line, bool isError)
    {
        if (line is null)
        {
            if (!isError)
            {
                _lines.Writer.TryComplete();
            }

            return;
        }

        lock (_transcript)
        {
            _transcript.Append(isError ? "[stderr] " : string.Empty).AppendLine(line);
        }

        if (!isError)
        {
            _lines.Writer.TryWrite(line);
        }
    }

    private string ExitCodeOrNull() => _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";
}
