using System.Diagnostics;

namespace DataPatterns.Testing;

/// <summary>Runs a command to completion and fails with its output when it exits non-zero.</summary>
internal static class ProcessRunner
{
    /// <summary>Runs <paramref name="fileName"/>; as root and with <paramref name="asPostgresUser"/>, runs it as the postgres user.</summary>
    public static Task<string> RunAsync(string fileName, IEnumerable<string> arguments, bool asPostgresUser, CancellationToken cancellationToken) =>
        RunAsUserAsync(fileName, arguments, asPostgresUser ? "postgres" : null, cancellationToken);

    /// <summary>Runs <paramref name="fileName"/>; as root and with a <paramref name="user"/>, runs it as that OS user.</summary>
    public static async Task<string> RunAsUserAsync(string fileName, IEnumerable<string> arguments, string? user, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (user is not null && IsRoot)
        {
            startInfo.FileName = "runuser";
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(user);
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(fileName);
        }
        else
        {
            startInfo.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)} exited with {process.ExitCode}: {await output}{await error}");
        }

        return await output;
    }

    public static bool IsRoot => Environment.UserName == "root";
}
